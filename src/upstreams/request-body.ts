import type { IncomingMessage } from "node:http";

// The one place a /v1 request body is read and looked into. Routing needs the body's `model` before an
// upstream is chosen, so the body is read whole (bounded by the body limit), inspected, and then the
// very bytes received are forwarded: nothing is re-serialised, so the upstream sees what the client
// sent, byte for byte. JSON bodies are parsed once here; multipart bodies (audio) are only scanned for
// their `model` field, the file is never decoded.
//
// Token metering reads what it needs from here too: the stream flag, the maximum to generate, and the
// body's size as the prompt's (see src/usage/request-meter.ts).

export interface InspectedBody {
  /** Exactly the bytes the client sent. */
  raw: Buffer;
  /** The body's `model`. */
  model: string;
  /** The parsed JSON object; undefined for a multipart body. */
  json: Record<string, unknown> | undefined;
  /** `stream: true`: the answer will be an event stream. */
  stream: boolean;
  /** The most it may generate (`max_completion_tokens`, `max_tokens` or the Responses API's `max_output_tokens`). */
  maxOutputTokens: number | undefined;
}

export type BodyRead = { ok: true; raw: Buffer } | { ok: false; reason: "too_large" | "aborted" };

export type BodyInspection =
  | { ok: true; body: InspectedBody }
  | { ok: false; reason: "invalid_json" | "no_model" | "model_not_string" }
  /** A streaming option of the wrong type (`param` names it): see `streamingOptionOfWrongType`. */
  | { ok: false; reason: "wrong_type"; param: string; expected: "a boolean" | "an object" };

/** Reads the whole body, giving up as soon as it grows past `limitBytes` (chunked bodies included). */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (result: BodyRead) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("error", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      // The unread rest is not drained: the 413 answer closes the connection.
      if (length > limitBytes) {
        req.pause();
        finish({ ok: false, reason: "too_large" });
      } else chunks.push(chunk);
    };
    const onEnd = () =>
      finish({ ok: true, raw: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length) });
    const onClose = () => finish({ ok: false, reason: "aborted" });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
    req.on("error", onClose);
  });
}

/** Finds the body's model: a JSON object's `model`, or a multipart form's `model` field. */
export function inspectBody(raw: Buffer, contentType: string | undefined): BodyInspection {
  const boundary = multipartBoundary(contentType);
  if (boundary !== undefined) {
    const model = multipartField(raw, boundary, "model");
    if (model === undefined || model === "") return { ok: false, reason: "no_model" };
    return { ok: true, body: { raw, model, json: undefined, stream: false, maxOutputTokens: undefined } };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    return { ok: false, reason: "invalid_json" };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    return { ok: false, reason: "invalid_json" };
  const model = (json as { model?: unknown }).model;
  if (model === undefined || model === null || model === "") return { ok: false, reason: "no_model" };
  if (typeof model !== "string") return { ok: false, reason: "model_not_string" };
  const object = json as Record<string, unknown>;
  const wrong = streamingOptionOfWrongType(object);
  if (wrong) return { ok: false, reason: "wrong_type", ...wrong };
  return {
    ok: true,
    body: {
      raw,
      model,
      json: object,
      stream: object.stream === true,
      maxOutputTokens: maxOutputTokens(object),
    },
  };
}

const isBooleanOrNull = (value: unknown) =>
  value === undefined || value === null || typeof value === "boolean";

/**
 * `stream` and `stream_options` decide whether keyward asks for usage and removes its chunk, so they
 * must mean to keyward what they mean to the upstream. vLLM's lenient parsing reads `"stream": 1` or
 * `"include_usage": "true"` as true where keyward would not (a stream it would neither meter nor leave
 * as it was), so a type other than OpenAI's is refused, as OpenAI's API refuses it. Null is the default.
 */
function streamingOptionOfWrongType(
  json: Record<string, unknown>,
): { param: string; expected: "a boolean" | "an object" } | undefined {
  if (!isBooleanOrNull(json.stream)) return { param: "stream", expected: "a boolean" };
  const options = json.stream_options;
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object" || Array.isArray(options)) {
    return { param: "stream_options", expected: "an object" };
  }
  for (const name of ["include_usage", "continuous_usage_stats"]) {
    if (!isBooleanOrNull((options as Record<string, unknown>)[name])) {
      return { param: `stream_options.${name}`, expected: "a boolean" };
    }
  }
  return undefined;
}

/** The first of the three names set to a positive integer (OpenAI prefers max_completion_tokens). */
function maxOutputTokens(json: Record<string, unknown>): number | undefined {
  for (const name of ["max_completion_tokens", "max_tokens", "max_output_tokens"]) {
    const value = json[name];
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  }
  return undefined;
}

function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * The value of one plain (non-file) field of a multipart/form-data body. Parts are walked by their
 * delimiters only; a file part's bytes are skipped over, never copied or decoded.
 */
export function multipartField(raw: Buffer, boundary: string, name: string): string | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let at = raw.indexOf(delimiter);
  while (at !== -1) {
    const afterDelimiter = at + delimiter.length;
    // "--" after the delimiter closes the form.
    if (raw[afterDelimiter] === 0x2d && raw[afterDelimiter + 1] === 0x2d) return undefined;
    const headersEnd = raw.indexOf(HEADER_END, afterDelimiter);
    if (headersEnd === -1) return undefined;
    const contentStart = headersEnd + HEADER_END.length;
    const end = raw.indexOf(next, contentStart);
    if (end === -1) return undefined;
    const headers = raw.toString("latin1", afterDelimiter, headersEnd);
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? "";
    const fieldName = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (fieldName === name && !/;\s*filename=/i.test(disposition)) {
      return raw.toString("utf8", contentStart, end).trim();
    }
    at = end + 2;
  }
  return undefined;
}
