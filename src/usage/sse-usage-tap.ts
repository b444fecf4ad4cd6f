import { findUsage, mentionsUsage, type TokenUsage } from "./usage-in-json.js";

// Reads usage from an event stream on its way to the client, without parsing its chunks: a chunk that
// ends on an event boundary and holds no `"usage"` key (nearly all of them) is passed on as the same
// Buffer after two byte checks and one indexOf. Only an event holding usage is looked at more closely:
// - `stripUsageOnlyChunk` (keyward asked for usage on the client's behalf): the usage-only event
//   (`"choices": []`, sent just before `[DONE]`) is held back, and the `"usage": null` that OpenAI's
//   API (unlike vLLM) adds to every other chunk once usage is asked for is taken out of it, so the
//   client receives exactly the bytes it would have received without keyward;
// - otherwise the event passes, and only the latest one is kept, unparsed: with vLLM's
//   `continuous_usage_stats` every chunk carries the cumulative usage, and only the last counts.
// An event split across network chunks is held until its end arrives (it could be the usage-only
// one, which must not be half sent). A stream with no event boundary in 1 MiB is passed on untapped.

const LF = Buffer.from("\n\n");
const CRLF = Buffer.from("\r\n\r\n");
const MAX_HELD_BYTES = 1024 * 1024;

export interface SseUsageTap {
  /** The bytes to send the client for this upstream chunk: usually the chunk itself; undefined = none. */
  write(chunk: Buffer): Buffer | undefined;
  /** At the end of the upstream's stream: whatever was still held back. */
  end(): Buffer | undefined;
  /** The latest usage the stream reported (final, or cumulative so far), if any. */
  usage(): TokenUsage | undefined;
  /** True when the stream ended on an error event (vLLM's `data: {"error": …}` before `[DONE]`). */
  endedInError(): boolean;
}

export function createSseUsageTap(options: { stripUsageOnlyChunk: boolean }): SseUsageTap {
  const strip = options.stripUsageOnlyChunk;
  let delimiter: Buffer | undefined;
  let held: Buffer | undefined;
  let lastUsageEvent: Buffer | undefined;
  // The last two runs of complete events, unread: vLLM reports a failure during generation as an
  // error event followed by [DONE] (status 200), which are the stream's last two events.
  let latest: Buffer | undefined;
  let beforeLatest: Buffer | undefined;
  let untapped = false;

  function endsWithDelimiter(bytes: Buffer, d: Buffer): boolean {
    const n = bytes.length;
    if (n < d.length) return false;
    for (let i = 1; i <= d.length; i++) if (bytes[n - i] !== d[d.length - i]) return false;
    return true;
  }

  /** Complete events only: notes the latest usage event, and drops the usage-only one if asked. */
  function pass(events: Buffer, d: Buffer): Buffer | undefined {
    beforeLatest = latest;
    latest = events;
    if (!mentionsUsage(events)) return events;
    if (!strip) {
      const at = events.lastIndexOf('"usage"');
      const start = events.lastIndexOf(d, at);
      const end = events.indexOf(d, at);
      lastUsageEvent = events.subarray(start === -1 ? 0 : start + d.length, end === -1 ? events.length : end);
      return events;
    }
    const kept: Buffer[] = [];
    let start = 0;
    while (start < events.length) {
      const cut = events.indexOf(d, start);
      const end = cut === -1 ? events.length : cut + d.length;
      const event = events.subarray(start, end);
      if (mentionsUsage(event)) {
        lastUsageEvent = event;
        const text = event.toString("utf8");
        if (!isUsageOnly(text)) kept.push(withoutNullUsage(event, text));
      } else kept.push(event);
      start = end;
    }
    if (kept.length === 0) return undefined;
    return kept.length === 1 ? kept[0] : Buffer.concat(kept);
  }

  return {
    write(chunk) {
      if (untapped) return chunk;
      const bytes = held ? Buffer.concat([held, chunk]) : chunk;
      held = undefined;
      // vLLM and OpenAI end lines with "\n"; a server that uses CRLF shows it at its first line end.
      if (!delimiter) {
        const eol = bytes.indexOf(0x0a);
        if (eol !== -1) delimiter = bytes[eol - 1] === 0x0d ? CRLF : LF;
      }
      if (delimiter && endsWithDelimiter(bytes, delimiter)) return pass(bytes, delimiter);
      const cut = delimiter ? bytes.lastIndexOf(delimiter) : -1;
      if (cut === -1) {
        if (bytes.length <= MAX_HELD_BYTES) {
          held = bytes;
          return undefined;
        }
        untapped = true;
        return bytes;
      }
      const d = delimiter as Buffer;
      held = bytes.subarray(cut + d.length);
      return pass(bytes.subarray(0, cut + d.length), d);
    },
    end() {
      const rest = held;
      held = undefined;
      if (!rest || untapped || !delimiter) return rest;
      return pass(rest, delimiter);
    },
    usage() {
      return lastUsageEvent ? findUsage(lastUsageEvent) : undefined;
    },
    endedInError() {
      return [beforeLatest, latest].some((events) => events && ERROR_EVENT.test(events.toString("latin1")));
    },
  };
}

/** An event whose data is an object with `error` as its first member: not a chunk of an answer. */
const ERROR_EVENT = /(?:^|\n)data: ?\{\s*"error"\s*:/;

/** `"usage":null` beside a chunk's other members (either side of them), with its separator. */
const NULL_USAGE = /,\s*"usage"\s*:\s*null(?=\s*[,}])|"usage"\s*:\s*null\s*,\s*/;

/**
 * The event (`text` its decoded bytes) without its `"usage": null` member, or the event itself when
 * it has none. A member name cannot hide in a string: inside one, its quotes would be escaped.
 */
function withoutNullUsage(event: Buffer, text: string): Buffer {
  const cleaned = text.replace(NULL_USAGE, "");
  return cleaned === text ? event : Buffer.from(cleaned);
}

/** The chunk OpenAI-compatible servers add for `include_usage`: `choices` is an empty list. */
function isUsageOnly(event: string): boolean {
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart())
    .join("\n");
  try {
    const parsed = JSON.parse(data) as { choices?: unknown };
    return Array.isArray(parsed.choices) && parsed.choices.length === 0;
  } catch {
    return false;
  }
}
