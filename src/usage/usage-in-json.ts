// Reads the token counts out of an upstream's JSON without parsing the whole document: an embeddings
// answer can be megabytes of numbers, and a streamed event is parsed only when it carries usage.
//
// A JSON string cannot hold an unescaped quote, so the bytes `"usage"` followed by a colon can only be
// a key. The LAST such key holding an object is taken: upstreams (vLLM, OpenAI) write `usage` after
// `choices`/`data`/`output`, and the Responses API nests it in `response`.

/** Tokens as the upstream reported them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

const USAGE_KEY = Buffer.from('"usage"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** True when the bytes hold a `"usage"` key (a cheap test for a whole network chunk). */
export function mentionsUsage(bytes: Buffer): boolean {
  return bytes.indexOf(USAGE_KEY) !== -1;
}

/** The usage of the last `"usage": {…}` member in `bytes`, or undefined when none is readable. */
export function findUsage(bytes: Buffer): TokenUsage | undefined {
  let from = bytes.length;
  while (from > 0) {
    const at = bytes.lastIndexOf(USAGE_KEY, from - 1);
    if (at === -1) return undefined;
    from = at;
    let i = at + USAGE_KEY.length;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x3a) continue; // ":"; else it was the string value "usage"
    i++;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== OPEN) continue; // "usage": null, as in a Responses API event before the end
    const end = objectEnd(bytes, i);
    if (end === -1) return undefined;
    return toTokenUsage(bytes.subarray(i, end));
  }
  return undefined;
}

/** The index just past the object that starts at `start`, or -1 when it does not close. */
function objectEnd(bytes: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN) depth++;
    else if (b === CLOSE && --depth === 0) return i + 1;
  }
  return -1;
}

const count = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined);

/**
 * Chat, completions and embeddings say prompt/completion; the Responses API says input/output; vLLM's
 * rerank says only total_tokens (all of them read, none generated).
 */
function toTokenUsage(object: Buffer): TokenUsage | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(object.toString("utf8"));
  } catch {
    return undefined;
  }
  const completion = count(parsed.completion_tokens) ?? count(parsed.output_tokens);
  const prompt =
    count(parsed.prompt_tokens) ??
    count(parsed.input_tokens) ??
    (completion === undefined ? count(parsed.total_tokens) : undefined);
  if (prompt === undefined) return undefined;
  return { promptTokens: prompt, completionTokens: completion ?? 0 };
}
