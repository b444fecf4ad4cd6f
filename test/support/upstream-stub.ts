import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  answerChat,
  CREATED,
  json,
  openAiError,
  reportUsage,
  STUB_MODEL,
  type StreamHold,
  safeJson,
} from "./upstream-stub-chat.js";
import { answerOtherRoute, answerStoredResponse } from "./upstream-stub-routes.js";
import { createUsageLedger, type UsageLedger } from "./upstream-usage.js";

// A local stand-in for an OpenAI-compatible server (vLLM): models, chat completions (plain and SSE,
// chunk by chunk: upstream-stub-chat.ts), embeddings, and vLLM's other routes (upstream-stub-routes.ts). It serves the models
// it is given (one server per model, as `vllm serve --served-model-name` does), records what it
// receives so tests can assert what the gateway sent, and it can hold answers open, answer slowly,
// answer with errors, stop and start again on the same port on demand.

export interface ReceivedRequest {
  method: string;
  /** The request-target exactly as received (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface UpstreamStub {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** What the gateway forwarded: every request but GET /v1/models, which keyward reads on its own. */
  traffic(): ReceivedRequest[];
  /** Request-targets whose connection closed before the stub finished answering. */
  aborted: string[];
  /** Every usage figure it reported, as vLLM would (see upstream-usage.ts). */
  usage: UsageLedger;
  /** Delays every response's headers by this many ms (0 = answer at once). */
  setDelayMs(ms: number): void;
  /**
   * Makes the next streamed chat send its first chunk and then wait. Resolves `firstChunkSent` once that
   * chunk is written; `release()` lets the rest of the stream go.
   */
  holdNextStream(): { firstChunkSent: Promise<void>; release(): void };
  /**
   * Holds every answer (any route) until `release()`: requests are recorded as they arrive and then
   * wait, so a test can count where concurrent requests landed while they are all in flight.
   */
  holdAll(): { release(): void };
  /** The model ids it serves from now on (what GET /v1/models reports and what it answers for). */
  setModels(models: string[]): void;
  /** Stops listening and cuts every connection, as a killed server does; `start()` brings it back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export { STUB_MODEL };

const modelObject = (id: string) => ({ id, object: "model", created: CREATED, owned_by: "vllm" });

/** `record: false` for the benchmark: keeping every request would grow without bound. */
export async function startUpstreamStub(
  options: { port?: number; record?: boolean; models?: string[]; streamIntervalMs?: number } = {},
): Promise<UpstreamStub> {
  const streamIntervalMs = options.streamIntervalMs ?? 0;
  const record = options.record ?? true;
  const requests: ReceivedRequest[] = [];
  const aborted: string[] = [];
  const usage = createUsageLedger();
  let models = options.models ?? [STUB_MODEL];
  let delayMs = 0;
  let hold: StreamHold | undefined;
  let holdingAll: Promise<void> | undefined;
  let counter = 0;
  const responses = new Map<string, Record<string, unknown>>();
  const chats = {
    models: () => models,
    nextId: () => ++counter,
    takeHold: () => {
      const held = hold;
      hold = undefined;
      return held;
    },
    usage,
    streamIntervalMs,
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = req.url ?? "";
      if (record) {
        requests.push({ method: req.method ?? "", url, headers: req.headers, body });
        res.on("close", () => {
          if (!res.writableFinished) aborted.push(url);
        });
      }
      const answer = () => route(req.method ?? "", url, body, res, req.headers["content-type"]);
      if (holdingAll) void holdingAll.then(() => (res.destroyed ? undefined : answer()));
      else if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });

  function route(
    method: string,
    url: string,
    body: string,
    res: ServerResponse,
    contentType: string | undefined,
  ) {
    const path = url.split("?")[0] ?? "";
    if (method === "GET" && path === "/v1/models") {
      // A cookie and hop-by-hop header the gateway must not pass on, and one header it must.
      json(res, 200, JSON.stringify({ object: "list", data: models.map(modelObject) }), {
        "set-cookie": "upstream_session=secret; Path=/",
        "x-upstream-served": "yes",
        "keep-alive": "timeout=77",
      });
      return;
    }
    if (method === "GET" && path === "/v1/models/redirect-me") {
      res.writeHead(302, { location: "/v1/models" });
      res.end();
      return;
    }
    if (method === "GET" && path.startsWith("/v1/models/")) {
      const id = decodeURIComponent(path.slice("/v1/models/".length));
      if (models.includes(id)) json(res, 200, JSON.stringify(modelObject(id)));
      else
        json(
          res,
          404,
          openAiError(`The model \`${id}\` does not exist.`, "NotFoundError", "model_not_found"),
        );
      return;
    }
    if (method === "POST" && path === "/v1/embeddings") {
      const parsed = safeJson(body);
      const inputs = Array.isArray(parsed?.input) ? parsed.input : [parsed?.input];
      const vector = [0.1, 0.2, 0.3];
      // The openai SDK asks for base64 (little-endian float32), as vLLM serves it.
      const embedding =
        parsed?.encoding_format === "base64"
          ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
          : vector;
      json(
        res,
        200,
        JSON.stringify({
          object: "list",
          model: parsed?.model ?? STUB_MODEL,
          data: inputs.map((_x: unknown, index: number) => ({
            object: "embedding",
            index,
            embedding,
          })),
          usage: reportUsage(usage, String(parsed?.model ?? STUB_MODEL), inputs.length, 0, true),
        }),
      );
      return;
    }
    if (method === "POST" && path === "/v1/chat/completions") {
      answerChat(chats, body, res);
      return;
    }
    if (answerStoredResponse(method, path, res, responses)) return;
    if (
      method === "POST" &&
      answerOtherRoute(path, body, contentType, res, {
        models,
        id: ++counter,
        responses,
        report: (model, prompt, completion) => reportUsage(usage, model, prompt, completion, true),
      })
    )
      return;
    json(res, 404, openAiError(`Not found: ${method} ${path}`, "NotFoundError", null));
  }

  // vLLM's server (uvicorn) listens with a backlog of 2048.
  const listen = (port: number) =>
    new Promise<void>((resolve) => server.listen({ port, host: "127.0.0.1", backlog: 2048 }, resolve));
  await listen(options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    traffic: () => requests.filter((r) => !(r.method === "GET" && r.url === "/v1/models")),
    aborted,
    usage,
    setDelayMs(ms) {
      delayMs = ms;
    },
    holdNextStream() {
      let sent!: () => void;
      let release!: () => void;
      const firstChunkSent = new Promise<void>((r) => {
        sent = r;
      });
      const gate = new Promise<void>((r) => {
        release = r;
      });
      hold = { sent, gate };
      return { firstChunkSent, release };
    },
    holdAll() {
      let release!: () => void;
      holdingAll = new Promise<void>((r) => {
        release = r;
      });
      return {
        release() {
          holdingAll = undefined;
          release();
        },
      };
    },
    setModels(list) {
      models = list;
    },
    stop,
    start: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
