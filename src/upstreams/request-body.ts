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
  /** How many completions it asks for, each up to that maximum: `n`, for each prompt of a batch. */
  choices: number;
}

export type BodyRead = { ok: true; raw: Buffer } | { ok: false; reason: "too_large" | "aborted" };

export type BodyInspection =
  | { ok: true; body: InspectedBody }
  | {
      ok: false;
      reason: "invalid_json" | "no_model" | "model_not_string" | "model_repeated" | "ambiguous_form";
    }
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

const FORM_REFUSALS = {
  missing: "no_model",
  repeated: "model_repeated",
  a_file: "model_not_string",
  ambiguous: "ambiguous_form",
} as const;

/** Finds the body's model: a JSON object's `model`, or a multipart form's `model` field. */
export function inspectBody(raw: Buffer, contentType: string | undefined): BodyInspection {
  const boundary = multipartBoundary(contentType);
  if (boundary === "ambiguous") return { ok: false, reason: "ambiguous_form" };
  if (boundary !== undefined) {
    const field = multipartField(raw, boundary, "model");
    if (!field.found) return { ok: false, reason: FORM_REFUSALS[field.reason] };
    const model = field.value;
    if (model === "") return { ok: false, reason: "no_model" };
    return {
      ok: true,
      body: { raw, model, json: undefined, stream: false, maxOutputTokens: undefined, choices: 1 },
    };
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
      choices: choicesOf(object),
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

/**
 * `n` choices per prompt, and a completion's `prompt` may be a list of prompts (strings or token
 * lists; a list of numbers is one prompt): vLLM generates, and reports, every one. vLLM also reads
 * `"n": "4"` as 4, so a number in a string counts too, lest it shrink the reservation.
 */
function choicesOf(json: Record<string, unknown>): number {
  const n = typeof json.n === "number" || typeof json.n === "string" ? Number(json.n) : 1;
  const each = Number.isSafeInteger(n) && n > 1 ? n : 1;
  const prompt = json.prompt;
  const prompts = Array.isArray(prompt) && typeof prompt[0] !== "number" ? Math.max(1, prompt.length) : 1;
  return each * prompts;
}

// A multipart form is read here to check the key's models and to route, and again upstream (Starlette's
// python-multipart, for vLLM) to serve: both must find the same `model`. Form parsers differ on what
// is not plain (escapes, unquoted or repeated parameters, control characters, text that merely starts
// like a delimiter), so only the plain form every client writes (the OpenAI SDKs, curl -F, browsers'
// FormData) is read; anything else is refused as ambiguous, never guessed at.

/** `multipart/form-data; boundary=…` (quoted or not), optionally with a charset, and nothing else. */
const FORM_TYPE =
  /^multipart\/form-data\s*;\s*(?:charset=[\w-]+\s*;\s*)?boundary=("?)([0-9A-Za-z'()+_,\-./:=?]{1,70})\1\s*(?:;\s*charset=[\w-]+\s*)?$/i;

/** The form's boundary; "ambiguous" for any other multipart/form-data type; undefined for no form. */
function multipartBoundary(contentType: string | undefined): string | "ambiguous" | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  return FORM_TYPE.exec(contentType)?.[2] ?? "ambiguous";
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * A part's one Content-Disposition, as clients write it: `form-data`, then `name` and perhaps
 * `filename` (or `filename*`), quoted, with no quote, backslash or control character inside.
 */
const DISPOSITION =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  /^content-disposition:[ \t]*form-data((?:;[ \t]*(?:name|filename)="[^"\\\x00-\x1f\x7f]*"|;[ \t]*filename\*=[^\s;"\\\x00-\x1f\x7f]+)+)[ \t]*$/i;
const PARAMETER = /;[ \t]*(name|filename\*?)=(?:"([^"]*)"|([^;]*))/gi;

/** A part's name and whether it is a file, from its headers; "ambiguous" unless they are plain. */
function partName(headers: string): { name: string; file: boolean } | "ambiguous" {
  const lines = headers.split("\r\n");
  // A folded (continued) header line, or not exactly one Content-Disposition.
  if (lines.some((line) => /^[ \t]/.test(line))) return "ambiguous";
  const dispositions = lines.filter((line) => /^content-disposition:/i.test(line));
  const parameters = dispositions.length === 1 ? DISPOSITION.exec(dispositions[0] ?? "")?.[1] : undefined;
  if (parameters === undefined) return "ambiguous";
  let name: string | undefined;
  let file = false;
  for (const [, key = "", quoted, token] of parameters.matchAll(PARAMETER)) {
    if (key !== "name") file = true;
    else if (name !== undefined) return "ambiguous";
    else name = quoted ?? token ?? "";
  }
  return name === undefined ? "ambiguous" : { name, file };
}

/** A form's field, where the form has it once and as a plain (non-file) field. */
export type FormField =
  | { found: true; value: string }
  | { found: false; reason: "missing" | "repeated" | "a_file" | "ambiguous" };

/**
 * One plain field of a multipart/form-data body, which must be there exactly once: a form that gives
 * it twice, or is written in a way form parsers may read differently, is refused rather than read one
 * way here and another way upstream. The body must begin with the first delimiter, and only a
 * delimiter followed by CRLF (a part) or "--" (the end) counts as one. Parts are walked by their
 * delimiters only; a file part's bytes are skipped over, never copied or decoded.
 */
export function multipartField(raw: Buffer, boundary: string, name: string): FormField {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  const ambiguous: FormField = { found: false, reason: "ambiguous" };
  if (!raw.subarray(0, delimiter.length).equals(delimiter)) return ambiguous;
  let found: FormField = { found: false, reason: "missing" };
  let afterDelimiter = delimiter.length;
  for (;;) {
    // "--" after the delimiter closes the form; anything but CRLF there is not a delimiter upstream.
    if (raw[afterDelimiter] === 0x2d && raw[afterDelimiter + 1] === 0x2d) return found;
    if (!raw.subarray(afterDelimiter, afterDelimiter + 2).equals(CRLF)) return ambiguous;
    const headersStart = afterDelimiter + 2;
    const headersEnd = raw.indexOf(HEADER_END, headersStart);
    if (headersEnd === -1) return ambiguous;
    const contentStart = headersEnd + HEADER_END.length;
    // The part ends at the next delimiter proper: one followed by CRLF or "--".
    let end = raw.indexOf(next, contentStart);
    while (end !== -1) {
      const after = end + next.length;
      const closes = raw[after] === 0x2d && raw[after + 1] === 0x2d;
      if (closes || raw.subarray(after, after + 2).equals(CRLF)) break;
      end = raw.indexOf(next, end + 1);
    }
    if (end === -1) return ambiguous;
    const part = partName(raw.toString("latin1", headersStart, headersEnd));
    if (part === "ambiguous") return ambiguous;
    if (part.name === name) {
      if (found.found || found.reason !== "missing") return { found: false, reason: "repeated" };
      found = part.file
        ? { found: false, reason: "a_file" }
        : { found: true, value: raw.toString("utf8", contentStart, end).trim() };
    }
    afterDelimiter = end + next.length;
  }
}
