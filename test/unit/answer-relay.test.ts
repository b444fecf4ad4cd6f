import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Dispatcher } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AnswerRelay, type ForwardResult } from "../../src/gateway/answer-relay.js";

// The relay between undici's dispatch and the client's response, on a real socket: the client's
// backpressure must reach the upstream (through the dispatch controller), and a client that leaves
// must abort the upstream request.

class FakeController extends EventEmitter implements Dispatcher.DispatchController {
  paused = false;
  aborted = false;
  reason: Error | null = null;
  pause() {
    this.paused = true;
    this.emit("pause");
  }
  resume() {
    this.paused = false;
    this.emit("resume");
  }
  abort(reason: Error) {
    this.aborted = true;
    this.reason = reason;
  }
}

const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A server whose one response is handed to the test, with nothing sent yet, and the client's view of
 * it once its headers are sent.
 */
async function exchange(): Promise<{ res: ServerResponse; answer: Promise<IncomingMessage> }> {
  const server = createServer();
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const responded = once(server, "request") as Promise<[IncomingMessage, ServerResponse]>;
  const req = request({ port: (server.address() as AddressInfo).port, path: "/", method: "GET" });
  req.on("error", () => {});
  req.end();
  const [, res] = await responded;
  const answer = once(req, "response").then(([message]) => message as IncomingMessage);
  answer.catch(() => {}); // tests that never send headers close the connection unanswered
  return { res, answer };
}

const gone = () => Object.assign(new EventEmitter(), { aborted: false });

describe("the answer relay", () => {
  it("pauses the upstream while the client does not read, resumes it when it does, and relays every byte", async () => {
    const exchanged = await exchange();
    const res = exchanged.res;
    const results: ForwardResult[] = [];
    const relay = new AnswerRelay(res, { gone: gone(), startAnswer: () => {} }, (r) => results.push(r));
    const controller = new FakeController();
    relay.onRequestStart(controller);
    relay.onResponseStart(controller, 200, { "content-type": "text/event-stream" });
    const answer = await exchanged.answer;
    answer.pause();

    // The client reads nothing: the socket's buffers fill and the relay pauses the upstream.
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    while (!controller.paused) {
      relay.onResponseData(controller, chunk);
      sent += chunk.length;
      expect(sent).toBeLessThan(1024 * 1024 * 1024);
    }

    // The client reads again: the response drains and the upstream is resumed.
    const resumed = once(controller, "resume");
    let received = 0;
    answer.on("data", (data: Buffer) => {
      received += data.length;
    });
    answer.resume();
    await resumed;
    expect(controller.paused).toBe(false);

    relay.onResponseEnd();
    await once(answer, "end");
    expect(received).toBe(sent);
    expect(results).toEqual([{ outcome: "ok", upstreamMs: expect.any(Number) }]);
  });

  it("sends an event stream's headers on their own, at once, when no event came with them", async () => {
    const exchanged = await exchange();
    const flushed = vi.spyOn(exchanged.res, "flushHeaders");
    const relay = new AnswerRelay(exchanged.res, { gone: gone(), startAnswer: () => {} }, () => {});
    const controller = new FakeController();
    relay.onRequestStart(controller);
    relay.onResponseStart(controller, 200, { "content-type": "text/event-stream" });
    // The client has its status while the upstream has sent no event yet.
    expect((await exchanged.answer).statusCode).toBe(200);
    expect(flushed).toHaveBeenCalledTimes(1);
  });

  it("sends an event stream's headers with its first event when both came in one read: one write", async () => {
    const exchanged = await exchange();
    const flushed = vi.spyOn(exchanged.res, "flushHeaders");
    const relay = new AnswerRelay(exchanged.res, { gone: gone(), startAnswer: () => {} }, () => {});
    const controller = new FakeController();
    relay.onRequestStart(controller);
    // undici calls both in one go when the headers and the first event arrive in the same read.
    relay.onResponseStart(controller, 200, { "content-type": "text/event-stream" });
    relay.onResponseData(controller, Buffer.from("data: {}\n\n"));
    const answer = await exchanged.answer;
    expect(answer.statusCode).toBe(200);
    // The headers went out with the event's write, not in a write of their own.
    expect(flushed).not.toHaveBeenCalled();
  });

  it("aborts the upstream request when the client goes away, and says so once", async () => {
    const { res } = await exchange();
    const clientGone = gone();
    const results: ForwardResult[] = [];
    const relay = new AnswerRelay(res, { gone: clientGone, startAnswer: () => {} }, (r) => results.push(r));
    const controller = new FakeController();
    relay.onRequestStart(controller);
    relay.onResponseStart(controller, 200, { "content-type": "text/event-stream" });
    relay.onResponseData(controller, Buffer.from("data: {}\n\n"));

    clientGone.aborted = true;
    clientGone.emit("abort");
    expect(controller.aborted).toBe(true);
    // undici reports the abort as the request's error.
    relay.onResponseError(controller, controller.reason ?? new Error("aborted"));
    relay.onResponseError(controller, new Error("a second report"));
    expect(results).toEqual([{ outcome: "client_aborted", upstreamMs: expect.any(Number) }]);
  });

  it("reports a failure before any answer as the replica's (another may be tried), not as sent", async () => {
    const { res } = await exchange();
    const results: ForwardResult[] = [];
    const relay = new AnswerRelay(res, { gone: gone(), startAnswer: () => {} }, (r) => results.push(r));
    const controller = new FakeController();
    relay.onRequestStart(controller);
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    relay.onResponseError(controller, refused);
    expect(results).toEqual([{ outcome: "failed", failure: "not_connected", err: refused }]);
  });
});
