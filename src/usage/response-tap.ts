import { createSseUsageTap } from "./sse-usage-tap.js";
import { findUsage, type TokenUsage } from "./usage-in-json.js";

// What the gateway puts between the upstream's answer and the client: every chunk goes through
// `write`, whose result is what the client receives; at the end (or when the client leaves) `usage()`
// says what the upstream reported. Event streams go through the SSE tap; any other body is kept (a
// bounded tail of it) and searched for its `usage` once, at the end. A body that says nothing
// readable gives undefined: the request is then counted with unknown tokens, and passed on unchanged.

/** A JSON answer's usage sits at its end: beyond this much, only the last TAIL_BYTES are kept. */
const KEEP_WHOLE_BYTES = 1024 * 1024;
const TAIL_BYTES = 64 * 1024;

export interface ResponseTap {
  write(chunk: Buffer): Buffer | undefined;
  end(): Buffer | undefined;
  usage(): TokenUsage | undefined;
  /** True when an answer that began as a success ended by reporting an error (an event stream's). */
  endedInError(): boolean;
}

/** Given the answer's status, type and encoding: the tap its body goes through, or undefined for none. */
export type TapFor = (
  status: number,
  contentType: string | undefined,
  contentEncoding: string | undefined,
) => ResponseTap | undefined;

export function createResponseTap(input: {
  contentType: string | undefined;
  /** True when keyward added `include_usage` for a client that did not ask for it. */
  stripUsageOnlyChunk: boolean;
}): ResponseTap {
  if (input.contentType?.startsWith("text/event-stream")) {
    return createSseUsageTap({ stripUsageOnlyChunk: input.stripUsageOnlyChunk });
  }
  return createJsonUsageTap();
}

function createJsonUsageTap(): ResponseTap {
  let chunks: Buffer[] = [];
  let kept = 0;
  let found: TokenUsage | undefined;
  let searched = false;
  return {
    write(chunk) {
      chunks.push(chunk);
      kept += chunk.length;
      if (kept > KEEP_WHOLE_BYTES) {
        // Drop whole chunks from the front while what remains still holds TAIL_BYTES.
        let drop = 0;
        while (drop < chunks.length - 1 && kept - (chunks[drop]?.length ?? 0) >= TAIL_BYTES) {
          kept -= chunks[drop]?.length ?? 0;
          drop++;
        }
        chunks = chunks.slice(drop);
      }
      return chunk;
    },
    end() {
      return undefined;
    },
    usage() {
      if (!searched) {
        searched = true;
        found = findUsage(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        chunks = [];
      }
      return found;
    },
    endedInError() {
      return false;
    },
  };
}
