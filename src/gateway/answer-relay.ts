import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import { classifyUpstreamError } from "../upstreams/balancer.js";
import type { UpstreamFailure } from "../upstreams/upstream.js";
import type { ResponseTap, TapFor } from "../usage/response-tap.js";

// The upstream's answer, relayed into the client's response as it arrives, through undici's dispatch
// handler (its lowest public API): each chunk goes through the usage tap, if any, straight into the
// response, with the client's backpressure pausing the upstream. undici's `stream()` would put a
// Writable, an async resource and end-of-stream tracking between the two for every request.

/**
 * How a forwarded request ended; `upstreamMs` is the upstream's time to response headers, once known.
 * "failed" comes only while nothing has been sent to the client yet, with what kind of failure it was
 * (the caller decides whether another replica may be tried); "cut" when the upstream failed after the
 * answer had begun: the client's answer was cut off.
 */
export type ForwardResult =
  | { outcome: "ok"; upstreamMs: number }
  | { outcome: "cut"; upstreamMs: number }
  /** `unsent`: the client was gone before the request was sent, so the upstream never had it. */
  | { outcome: "client_aborted"; upstreamMs: number | undefined; unsent?: true }
  | { outcome: "failed"; failure: UpstreamFailure; err: unknown };

/** Raised when the client goes away before its answer is complete: the upstream request is aborted. */
export interface AbortSource {
  readonly aborted: boolean;
  once(event: "abort", listener: () => void): unknown;
}

export interface RelayTarget {
  gone: AbortSource;
  /** Sets the response's status and headers from the upstream's (before any byte is written). */
  startAnswer(res: ServerResponse, statusCode: number, headers: UpstreamHeaders): void;
  tap?: TapFor;
}

/** An answer's headers as undici parsed them (names in lower case). */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

const CLIENT_GONE = new Error("the client went away");

export class AnswerRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private tap: ResponseTap | undefined;
  private upstreamMs: number | undefined;
  private settled = false;
  private readonly started = performance.now();

  constructor(
    private readonly res: ServerResponse,
    private readonly target: RelayTarget,
    private readonly done: (result: ForwardResult) => void,
  ) {
    target.gone.once("abort", () => this.controller?.abort(CLIENT_GONE));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.target.gone.aborted) controller.abort(CLIENT_GONE);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: UpstreamHeaders,
  ): void {
    if (statusCode < 200) return; // an informational answer; the real one follows
    this.upstreamMs = performance.now() - this.started;
    const res = this.res;
    this.target.startAnswer(res, statusCode, headers);
    const contentType = headers["content-type"] as string | undefined;
    // Event streams: the client should see the status at once, before the first event. When the first
    // event came in the same read as the headers (it is relayed before any microtask runs), they leave
    // together in one write, as a plain pipe would send them; otherwise they leave alone, at once.
    if (contentType?.startsWith("text/event-stream")) {
      queueMicrotask(() => {
        if (!res.headersSent && !res.destroyed) res.flushHeaders();
      });
    }
    this.tap = this.target.tap?.(statusCode, contentType, headers["content-encoding"] as string | undefined);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const out = this.tap ? this.tap.write(chunk) : chunk;
    if (out !== undefined && !this.res.write(out)) {
      controller.pause();
      this.res.once("drain", () => controller.resume());
    }
  }

  onResponseEnd(): void {
    const rest = this.tap?.end();
    if (rest) this.res.end(rest);
    else this.res.end();
    this.settle({ outcome: "ok", upstreamMs: this.upstreamMs ?? 0 });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.target.gone.aborted) {
      this.settle({ outcome: "client_aborted", upstreamMs: this.upstreamMs });
    } else if (this.res.headersSent) {
      // The upstream failed mid-answer: nothing can be said to the client any more but the cut.
      this.res.destroy();
      this.settle({ outcome: "cut", upstreamMs: this.upstreamMs ?? 0 });
    } else {
      this.settle({ outcome: "failed", failure: classifyUpstreamError(err), err });
    }
  }

  private settle(result: ForwardResult): void {
    if (this.settled) return;
    this.settled = true;
    this.done(result);
  }
}
