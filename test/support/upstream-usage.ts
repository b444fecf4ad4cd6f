// How the upstream stand-in counts and reports tokens, as vLLM does: `usage` on every non-streamed
// answer; on a stream, a final usage-only chunk (`choices: []`) only when `stream_options` is an
// object whose `include_usage` is true or left out (vLLM's default is true), and the running usage on
// every chunk too when it also sets `continuous_usage_stats`. Every figure it reports is kept in a ledger, so tests can check that
// keyward's totals agree with it to the token.

export interface ReportedUsage {
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** False for a running figure of a continuous-usage stream (a later one supersedes it). */
  final: boolean;
}

export interface UsageLedger {
  reported: ReportedUsage[];
  /** The sum of final figures (what a complete answer reported), per model. */
  totals(): Record<string, { promptTokens: number; completionTokens: number }>;
}

export function createUsageLedger(): UsageLedger {
  const reported: ReportedUsage[] = [];
  return {
    reported,
    totals() {
      const out: Record<string, { promptTokens: number; completionTokens: number }> = {};
      for (const r of reported) {
        if (!r.final) continue;
        const t = out[r.model] ?? { promptTokens: 0, completionTokens: 0 };
        t.promptTokens += r.promptTokens;
        t.completionTokens += r.completionTokens;
        out[r.model] = t;
      }
      return out;
    },
  };
}

/** A stand-in tokenizer: one token per word of every message, plus three per message (its template). */
export function promptTokensOf(parsed: Record<string, unknown>): number {
  const text = (value: unknown): string =>
    typeof value === "string" ? value : Array.isArray(value) ? value.map(text).join(" ") : "";
  const messages = Array.isArray(parsed.messages) ? parsed.messages : [];
  let tokens = 0;
  for (const m of messages as Array<{ content?: unknown }>) {
    tokens += 3 + text(m?.content).split(/\s+/).filter(Boolean).length;
  }
  if (parsed.prompt !== undefined) tokens += text(parsed.prompt).split(/\s+/).filter(Boolean).length;
  if (parsed.input !== undefined) tokens += text(parsed.input).split(/\s+/).filter(Boolean).length;
  return Math.max(1, tokens);
}

/**
 * The words of the answer, one token (and one chunk) each: "Hello there!" unless `max_tokens` asks
 * for a length, as a benchmark's long streams do.
 */
export function completionWords(parsed: Record<string, unknown>): string[] {
  const max = parsed.max_completion_tokens ?? parsed.max_tokens;
  if (typeof max === "number" && Number.isInteger(max) && max > 0) {
    return Array.from({ length: max }, (_, i) => (i === 0 ? "tok" : " tok"));
  }
  return ["Hello", " there", "!"];
}

export function streamUsageMode(parsed: Record<string, unknown>): { final: boolean; continuous: boolean } {
  const options = parsed.stream_options as
    | { include_usage?: unknown; continuous_usage_stats?: unknown }
    | undefined;
  // vLLM's StreamOptions: include_usage defaults to true once stream_options is an object.
  const final =
    options !== null &&
    typeof options === "object" &&
    (options.include_usage === undefined || options.include_usage === true);
  return { final, continuous: final && options?.continuous_usage_stats === true };
}

export const usageJson = (promptTokens: number, completionTokens: number) => ({
  prompt_tokens: promptTokens,
  total_tokens: promptTokens + completionTokens,
  completion_tokens: completionTokens,
});
