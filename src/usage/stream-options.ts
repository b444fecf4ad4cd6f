// Streamed chat completions and completions report usage only when the request says
// `stream_options: {"include_usage": true}`. For a client that did not, keyward asks on its behalf
// and the SSE tap removes the usage-only chunk again. The body changes by that one member: every other
// byte stays as the client sent it (no re-serialising, which could reorder keys or round numbers).
//
// Asked for means as vLLM reads it: `stream_options` is an object whose `include_usage` is true or
// left out (vLLM's default is true there, unlike OpenAI's), so `"stream_options": {}` straight to vLLM
// ends with the usage chunk, and through keyward too. `include_usage` false or null, or no
// `stream_options` (or null) at all, is not asking.
//
// `continuous_usage_stats` (vLLM: usage on every chunk) is never added for the client: its chunks
// would then differ from what it asked for, and taking the field back out of every chunk is the
// per-chunk rewriting the tap exists to avoid. A client that asked for it gets it, and is charged its
// latest figures if it leaves mid-stream. A client that asked for it with `include_usage` false or null
// (where it does nothing) gets it turned off, so that its stream stays as it would have been.

export type StreamUsageRequest =
  /** Not a stream, or `stream_options` is something the upstream will refuse anyway: sent as is. */
  | { kind: "not_applicable" }
  /** The client asked for usage itself: sent as is, and the usage chunk passes through. */
  | { kind: "client_asked" }
  /** keyward asked: send `body` instead, and strip the usage-only chunk. */
  | { kind: "added"; body: Buffer };

const OPEN_BRACE = 0x7b;
const MEMBER = Buffer.from('"stream_options":{"include_usage":true}');
const COMMA = Buffer.from(",");

/**
 * `body` is the request body as received, `parsed` its JSON.parse (a top-level object). Pure: the
 * same input gives the same output.
 */
export function requestStreamUsage(body: Buffer, parsed: Record<string, unknown>): StreamUsageRequest {
  if (parsed.stream !== true) return { kind: "not_applicable" };
  const options = parsed.stream_options;
  if (options === undefined) {
    const open = body.indexOf(OPEN_BRACE);
    if (open === -1) return { kind: "not_applicable" };
    // `stream: true` is a member, so the object is not empty: the inserted member takes a comma.
    return {
      kind: "added",
      body: Buffer.concat([body.subarray(0, open + 1), MEMBER, COMMA, body.subarray(open + 1)]),
    };
  }
  if (options !== null && (typeof options !== "object" || Array.isArray(options))) {
    return { kind: "not_applicable" };
  }
  const current = (options ?? {}) as Record<string, unknown>;
  if (current.include_usage === true) return { kind: "client_asked" };
  // vLLM's default for an object without the member: true.
  if (options !== null && !Object.hasOwn(current, "include_usage")) return { kind: "client_asked" };
  const member = lastTopLevelMember(body, "stream_options");
  if (!member) return { kind: "not_applicable" };
  const replaced: Record<string, unknown> = { ...current, include_usage: true };
  if (current.continuous_usage_stats === true) replaced.continuous_usage_stats = false;
  return {
    kind: "added",
    body: Buffer.concat([
      body.subarray(0, member.valueStart),
      Buffer.from(JSON.stringify(replaced)),
      body.subarray(member.valueEnd),
    ]),
  };
}

/**
 * Where the value of the last top-level member named `name` lies (JSON.parse keeps the last of
 * duplicate names, and so does this). Undefined when the body is not a JSON object.
 */
export function lastTopLevelMember(
  body: Buffer,
  name: string,
): { valueStart: number; valueEnd: number } | undefined {
  const text = body.toString("latin1"); // one char per byte: indexes are byte offsets
  let i = skipSpace(text, 0);
  if (text[i] !== "{") return undefined;
  i++;
  let found: { valueStart: number; valueEnd: number } | undefined;
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === "}") return found;
    if (text[i] !== '"') return undefined;
    const keyEnd = stringEnd(text, i);
    if (keyEnd === -1) return undefined;
    const key = keyOf(text.slice(i, keyEnd));
    if (key === undefined) return undefined;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") return undefined;
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = valueEndAt(text, valueStart);
    if (valueEnd === -1) return undefined;
    if (key === name) found = { valueStart, valueEnd };
    i = skipSpace(text, valueEnd);
    if (text[i] === ",") i++;
    else if (text[i] !== "}") return undefined;
  }
}

/**
 * A member name as JSON.parse reads it: `"stre\u0061m_options"` is `stream_options` to the upstream
 * too. (A name decoded from latin1 text is mangled beyond ASCII, but never into an ASCII name.)
 */
function keyOf(quoted: string): string | undefined {
  if (!quoted.includes("\\")) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t"))
    i++;
  return i;
}

/** Index just past the string that opens at `from`, or -1. */
function stringEnd(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

/** Index just past the value at `from` (any JSON value), or -1. */
function valueEndAt(text: string, from: number): number {
  const c = text[from];
  if (c === '"') return stringEnd(text, from);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let i = from; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"') {
        i = stringEnd(text, i) - 1;
        if (i < 0) return -1;
      } else if (ch === "{" || ch === "[") depth++;
      else if ((ch === "}" || ch === "]") && --depth === 0) return i + 1;
    }
    return -1;
  }
  let i = from;
  while (i < text.length && !/[\s,}\]]/.test(text[i] as string)) i++;
  return i === from ? -1 : i;
}
