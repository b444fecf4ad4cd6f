import { estimateTokens, type TokenDecision } from "../token-limits/token-limit.js";
import type { InspectedBody } from "../upstreams/request-body.js";
import { type RequestOutcome, usageFields } from "../usage/buffer.js";
import { createResponseTap, type ResponseTap, type TapFor } from "../usage/response-tap.js";
import { requestStreamUsage } from "../usage/stream-options.js";
import type { HotPathBatch } from "./hot-path-batch.js";
import type { TokenLimiter, TokenReservation } from "./token-limiter.js";

// Counting and token limits for one /v1 request whose key was recognised, from admission to the end
// of its answer: the gateway asks `admit` before forwarding (a reservation, for routes that spend
// tokens, taken by `admit` or earlier by `reserve`), forwards `meter.body`, sends the answer through
// `meter.tap(...)`, and calls `finish` once. Every such request is recorded exactly once, with its
// outcome and tokens, in the usage buffer.

/**
 * Routes that spend tokens, and whether they generate (completion tokens) or only read (pooling).
 * `tokensOptional`: its answers may count in another unit (vLLM's transcriptions report seconds of
 * audio, and a text, srt or vtt answer reports nothing), so an answer without tokens costs none, and
 * the request limit is what bounds it; elsewhere such an answer keeps its reservation.
 */
const TOKEN_ROUTES: Record<string, { generates: boolean; streamOptions: boolean; tokensOptional?: true }> = {
  "/v1/chat/completions": { generates: true, streamOptions: true },
  "/v1/completions": { generates: true, streamOptions: true },
  "/v1/responses": { generates: true, streamOptions: false },
  "/v1/audio/transcriptions": { generates: true, streamOptions: true, tokensOptional: true },
  "/v1/audio/translations": { generates: true, streamOptions: true, tokensOptional: true },
  "/v1/embeddings": { generates: false, streamOptions: false },
  "/v1/rerank": { generates: false, streamOptions: false },
  "/v1/score": { generates: false, streamOptions: false },
  "/v1/classify": { generates: false, streamOptions: false },
  "/v1/pooling": { generates: false, streamOptions: false },
  "/v2/rerank": { generates: false, streamOptions: false },
};

const BYTES_PER_TOKEN = 4;

/**
 * How keyward's own error answer counts: the upstream's failure (unreachable, too slow, or its model
 * list not read yet) is an upstream error; anything else keyward answered in its place (no replica
 * free, a model the key may not use) is a refusal.
 */
export function outcomeOfError(error: { code: string }): "refused" | "upstream_error" {
  return error.code === "upstream_unavailable" || error.code === "upstream_timeout"
    ? "upstream_error"
    : "refused";
}

/**
 * How the answer ended: "refused" when keyward answered instead (no replica free, say); "withdrawn"
 * when the client left before the request was sent (waiting for a slot, say): no upstream had it.
 */
export type MeterEnd = "complete" | "client_aborted" | "withdrawn" | "upstream_failed" | "refused";

export interface RequestMeter {
  /** The token decision, for the x-ratelimit-*-tokens headers; undefined on routes without tokens. */
  decision: TokenDecision | undefined;
  /** What to forward: the client's bytes, or with `include_usage` added; undefined when bodiless. */
  body: Buffer | undefined;
  /** The tap the answer goes through, given its status, type and encoding; undefined: untouched. */
  tap: TapFor;
  /** The answer ended (complete, cut by the client's leaving, or the upstream failing). Once. */
  finish(end: MeterEnd): void;
}

export type MeterAdmission = { ok: true; meter: RequestMeter } | { ok: false; decision: TokenDecision };

export interface MeteringDeps {
  batch: HotPathBatch;
  limiter: TokenLimiter;
  now: () => number;
}

/** What a reservation is taken for: the key, its limit, the route's pattern and the request's body. */
export interface ReservationInput {
  keyId: string;
  tokenLimit: number;
  /** The route's pattern, as the route table names it. */
  route: string;
  body: InspectedBody | undefined;
}

export function createMetering(deps: MeteringDeps) {
  function record(input: {
    keyId: string;
    at: Date;
    model: string;
    outcome: RequestOutcome;
    promptTokens?: number;
    completionTokens?: number;
    usageReported?: boolean;
  }): void {
    deps.batch.addUsage(
      usageFields({
        keyId: input.keyId,
        at: input.at,
        model: input.model,
        outcome: input.outcome,
        promptTokens: input.promptTokens ?? 0,
        completionTokens: input.completionTokens ?? 0,
        usageReported: input.usageReported ?? true,
      }),
    );
  }

  /** The request's estimated tokens, reserved; undefined on routes that spend none. */
  function reserve(input: ReservationInput): Promise<TokenReservation> | undefined {
    const spec = TOKEN_ROUTES[input.route];
    if (!spec) return undefined;
    const estimate = estimateTokens({
      bodyBytes: promptBytesOf(input.body),
      maxOutputTokens: input.body?.maxOutputTokens,
      choices: input.body?.choices,
      generates: spec.generates,
      limit: input.tokenLimit,
    });
    return deps.limiter.reserve(input.keyId, input.tokenLimit, estimate, deps.now());
  }

  return {
    reserve,

    /** Gives back a reservation whose request was refused before it was forwarded. */
    release(reservation: TokenReservation): void {
      deps.limiter.settle(reservation, 0, deps.now());
    },

    /**
     * A request that spends no tokens, or that keyward refused after recognising its key (permission,
     * a limit, its body, model access): counted by outcome only.
     */
    record(keyId: string, model: string, at: Date, outcome: RequestOutcome): void {
      record({ keyId, at, model, outcome });
    },

    async admit(
      input: ReservationInput & {
        /** The model to count it under ('' for none, or one nobody serves). */
        model: string;
        at: Date;
      },
      /** The reservation `reserve` took for this very input, if it was taken ahead. */
      reserved?: TokenReservation,
    ): Promise<MeterAdmission> {
      const spec = TOKEN_ROUTES[input.route];
      const body = input.body;
      const model = input.model;
      const promptBytes = promptBytesOf(body);
      const reservation = reserved ?? (await reserve(input));
      if (reservation) {
        if (!reservation.decision.allowed) {
          record({ keyId: input.keyId, at: input.at, model, outcome: "refused" });
          return { ok: false, decision: reservation.decision };
        }
      }
      const asked =
        spec?.streamOptions && body?.json && body.stream
          ? requestStreamUsage(body.raw, body.json)
          : undefined;
      let status = 0;
      let tap: ResponseTap | undefined;
      let finished = false;
      const meter: RequestMeter = {
        decision: reservation?.decision,
        body: asked?.kind === "added" ? asked.body : body?.raw,
        tap(answerStatus, contentType, contentEncoding) {
          status = answerStatus;
          if (!spec || answerStatus >= 400) return undefined;
          // Compressed although keyward asked for identity: its bytes can be neither read nor edited
          // (nor held back until an event ends: none would be found), so it passes untouched, unread.
          if (contentEncoding !== undefined && contentEncoding !== "identity") return undefined;
          tap = createResponseTap({ contentType, stripUsageOnlyChunk: asked?.kind === "added" });
          return tap;
        },
        finish(end) {
          if (finished) return;
          finished = true;
          const failed =
            end === "upstream_failed" ||
            (end !== "refused" && (status >= 400 || tap?.endedInError() === true));
          const usage = tap?.usage();
          let promptTokens = usage?.promptTokens ?? 0;
          const completionTokens = usage?.completionTokens ?? 0;
          // The upstream had the prompt: a client gone before the usage arrived pays at least for it.
          if (!usage && end === "client_aborted" && spec)
            promptTokens = Math.ceil(promptBytes / BYTES_PER_TOKEN);
          if (reservation) {
            // An answer that ended without usage keyward could read keeps its reservation against the
            // limit: an upstream that reports nothing must not make its tokens free.
            const unread = !usage && end === "complete" && !failed && !spec?.tokensOptional;
            const charged = unread ? reservation.reserved : promptTokens + completionTokens;
            deps.limiter.settle(reservation, charged, deps.now());
          }
          record({
            keyId: input.keyId,
            at: input.at,
            model,
            outcome: end === "refused" ? "refused" : failed ? "upstream_error" : "answered",
            promptTokens,
            completionTokens,
            // Withdrawn: no upstream had it, so there was nothing to report, rather than a report unread.
            usageReported: !spec || usage !== undefined || end === "withdrawn",
          });
        },
      };
      return { ok: true, meter };
    },
  };
}

export type Metering = ReturnType<typeof createMetering>;

/** The prompt's size: a JSON body's bytes (a multipart body's bytes are audio, not a prompt's text). */
function promptBytesOf(body: InspectedBody | undefined): number {
  return body?.json ? body.raw.length : 0;
}
