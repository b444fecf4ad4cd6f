// Key use is buffered in one Redis hash so the /v1 path never writes to PostgreSQL:
//   `t:<keyId>`                          → epoch ms of the latest use (last-used time)
//   `c:<keyId>:<day>`                    → requests on that UTC day
//   `m:<keyId>:<day>:<counter>:<model>`  → one of USAGE_COUNTERS for that key, day and model
// The gateway writes last-used times when a key is recognised and the counts when a request ends
// (usage-recorder.ts), so a day's requests and the sum of its by-model counts move together.
// The flush job renames the hash to hand it over atomically, then writes it to PostgreSQL.

export const pendingUsageKey = (prefix: string) => `${prefix}:usage:pending`;

const DAY_MS = 86_400_000;
// The /v1 path names a day several times per request: the last day's name is kept.
let namedDay = { startMs: 0, endMs: 0, name: "" };

export function utcDay(at: Date): string {
  const ms = at.getTime();
  if (ms >= namedDay.startMs && ms < namedDay.endMs) return namedDay.name;
  const startMs = Math.floor(ms / DAY_MS) * DAY_MS;
  const name = at.toISOString().slice(0, 10);
  if (Number.isFinite(startMs)) namedDay = { startMs, endMs: startMs + DAY_MS, name };
  return name;
}

/** What became of a request whose key was recognised. */
export type RequestOutcome = "answered" | "refused" | "upstream_error";

/** The per-model counters, by their one-letter name in the buffer, with their column's name. */
export const USAGE_COUNTERS = {
  a: "answered",
  r: "refused",
  e: "upstream_errors",
  p: "prompt_tokens",
  o: "completion_tokens",
  u: "requests_without_usage",
} as const;

export type UsageCounter = keyof typeof USAGE_COUNTERS;

const OUTCOME_COUNTER: Record<RequestOutcome, UsageCounter> = {
  answered: "a",
  refused: "r",
  upstream_error: "e",
};

/** Longer model names are cut: the name is part of a primary key and comes from the client. */
export const MAX_MODEL_LENGTH = 200;

export interface RequestUsage {
  keyId: string;
  /** When the request arrived: it is counted on that UTC day. */
  at: Date;
  /** The body's `model`, or '' when there is none. */
  model: string;
  outcome: RequestOutcome;
  /** Tokens reported by the upstream (or estimated, when `usageReported` is false). */
  promptTokens: number;
  completionTokens: number;
  /** False for an answer whose tokens the upstream did not report. */
  usageReported: boolean;
}

/** The buffer fields one finished request adds to, with how much. */
export function usageFields(usage: RequestUsage): Array<[field: string, increment: number]> {
  const day = utcDay(usage.at);
  const model = usage.model.slice(0, MAX_MODEL_LENGTH);
  const m = (counter: UsageCounter) => `m:${usage.keyId}:${day}:${counter}:${model}`;
  const fields: Array<[string, number]> = [
    [`c:${usage.keyId}:${day}`, 1],
    [m(OUTCOME_COUNTER[usage.outcome]), 1],
  ];
  if (usage.promptTokens > 0) fields.push([m("p"), usage.promptTokens]);
  if (usage.completionTokens > 0) fields.push([m("o"), usage.completionTokens]);
  if (usage.outcome === "answered" && !usage.usageReported) fields.push([m("u"), 1]);
  return fields;
}

/** Reads an `m:` field back: undefined when it is not one (key ids and days hold no colon). */
export function parseModelField(
  field: string,
): { keyId: string; day: string; counter: UsageCounter; model: string } | undefined {
  const parts = /^m:([^:]+):(\d{4}-\d{2}-\d{2}):([a-z]):(.*)$/s.exec(field);
  if (!parts) return undefined;
  const counter = parts[3] as string;
  if (!(counter in USAGE_COUNTERS)) return undefined;
  return {
    keyId: parts[1] as string,
    day: parts[2] as string,
    counter: counter as UsageCounter,
    model: parts[4] as string,
  };
}
