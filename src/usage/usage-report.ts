import { type AnyColumn, and, desc, eq, gte, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { accounts, apiKeys, keyModelUsageDaily, keyUsageDaily } from "../db/schema.js";
import { utcDay } from "./buffer.js";

// Usage as the flush left it in PostgreSQL: what is still buffered in Redis appears after the next
// flush. A day's `requests` is every request of the key that keyward recognised (answered, refused or
// failed upstream); `by_model` splits the same requests by the body's model (null where there was
// none), with the tokens the upstream reported.

const DAY_MS = 86_400_000;

/** The `days` UTC dates ending with today's, oldest first. */
export function usageWindow(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => utcDay(new Date(today - (days - 1 - i) * DAY_MS)));
}

export interface ModelUsage {
  model: string | null;
  requests: number;
  answered: number;
  refused: number;
  upstream_errors: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface DayUsage {
  date: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  by_model: ModelUsage[];
}

const modelColumns = {
  day: keyModelUsageDaily.day,
  model: keyModelUsageDaily.model,
  answered: keyModelUsageDaily.answered,
  refused: keyModelUsageDaily.refused,
  upstreamErrors: keyModelUsageDaily.upstreamErrors,
  promptTokens: keyModelUsageDaily.promptTokens,
  completionTokens: keyModelUsageDaily.completionTokens,
};

type ModelRow = { [K in keyof typeof modelColumns]: K extends "day" | "model" ? string : number };

function toModelUsage(r: ModelRow): ModelUsage {
  const answered = Number(r.answered);
  const refused = Number(r.refused);
  const upstreamErrors = Number(r.upstreamErrors);
  return {
    model: r.model === "" ? null : r.model,
    requests: answered + refused + upstreamErrors,
    answered,
    refused,
    upstream_errors: upstreamErrors,
    prompt_tokens: Number(r.promptTokens),
    completion_tokens: Number(r.completionTokens),
  };
}

/** One key's usage per UTC day over the window, oldest first, zero-filled so a chart needs no gaps. */
export async function keyUsageByDay(
  db: Pick<Db, "select">,
  input: { keyId: string; days: number; now: Date },
): Promise<DayUsage[]> {
  const window = usageWindow(input.now, input.days);
  const from = window[0] as string;
  const to = window[window.length - 1] as string;
  const [days, models] = await Promise.all([
    db
      .select({ day: keyUsageDaily.day, requests: keyUsageDaily.requests })
      .from(keyUsageDaily)
      .where(
        and(eq(keyUsageDaily.keyId, input.keyId), gte(keyUsageDaily.day, from), lte(keyUsageDaily.day, to)),
      ),
    db
      .select(modelColumns)
      .from(keyModelUsageDaily)
      .where(
        and(
          eq(keyModelUsageDaily.keyId, input.keyId),
          gte(keyModelUsageDaily.day, from),
          lte(keyModelUsageDaily.day, to),
        ),
      )
      .orderBy(keyModelUsageDaily.day, keyModelUsageDaily.model),
  ]);
  const requests = new Map(days.map((r) => [r.day, Number(r.requests)]));
  const byDay = new Map<string, ModelUsage[]>();
  for (const row of models) {
    const list = byDay.get(row.day) ?? [];
    list.push(toModelUsage(row as ModelRow));
    byDay.set(row.day, list);
  }
  return window.map((date) => {
    const by_model = byDay.get(date) ?? [];
    return {
      date,
      requests: requests.get(date) ?? 0,
      prompt_tokens: by_model.reduce((sum, m) => sum + m.prompt_tokens, 0),
      completion_tokens: by_model.reduce((sum, m) => sum + m.completion_tokens, 0),
      by_model,
    };
  });
}

export interface UsageRow {
  date: string;
  key_id: string;
  model: string | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** An account's usage, one row per day, key and model, from `from` to `to` (UTC days, inclusive). */
export async function accountUsage(
  db: Pick<Db, "select">,
  input: { accountId: string; from: string; to: string },
): Promise<UsageRow[]> {
  const rows = await db
    .select({ keyId: keyModelUsageDaily.keyId, ...modelColumns })
    .from(keyModelUsageDaily)
    .innerJoin(apiKeys, eq(apiKeys.id, keyModelUsageDaily.keyId))
    .where(
      and(
        eq(apiKeys.accountId, input.accountId),
        gte(keyModelUsageDaily.day, input.from),
        lte(keyModelUsageDaily.day, input.to),
      ),
    )
    .orderBy(keyModelUsageDaily.day, keyModelUsageDaily.keyId, keyModelUsageDaily.model);
  return rows.map((r) => {
    const m = toModelUsage(r as ModelRow);
    return {
      date: r.day,
      key_id: r.keyId,
      model: m.model,
      requests: m.requests,
      prompt_tokens: m.prompt_tokens,
      completion_tokens: m.completion_tokens,
    };
  });
}

export const USAGE_CSV_COLUMNS = [
  "date",
  "key_id",
  "model",
  "requests",
  "prompt_tokens",
  "completion_tokens",
] as const;

/**
 * RFC 4180 CSV with a header row. A model name comes from clients: one that a spreadsheet would take
 * for a formula (= + - @, tab, CR) is prefixed with a quote mark, as OWASP advises.
 */
export function usageCsv(rows: UsageRow[]): string {
  const cell = (value: string | number | null) => {
    if (value === null) return "";
    if (typeof value === "number") return String(value);
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const lines = [USAGE_CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(USAGE_CSV_COLUMNS.map((c) => cell(row[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export interface TopUsage {
  id: string;
  /** The key's name, or the account's email. */
  label: string;
  /** For a key: its account's email. */
  email: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** The operator's view of one UTC day: the keys or the accounts that spent the most tokens. */
export async function topUsageOfDay(
  db: Pick<Db, "select">,
  input: { day: string; by: "key" | "account"; limit: number },
): Promise<TopUsage[]> {
  const u = keyModelUsageDaily;
  const id = input.by === "key" ? apiKeys.id : accounts.id;
  const label = input.by === "key" ? apiKeys.name : accounts.email;
  const total = (column: AnyColumn) => sql<string>`sum(${column})`;
  const rows = await db
    .select({
      id,
      label,
      email: accounts.email,
      requests: sql<string>`sum(${u.answered} + ${u.refused} + ${u.upstreamErrors})`,
      prompt: total(u.promptTokens),
      completion: total(u.completionTokens),
    })
    .from(u)
    .innerJoin(apiKeys, eq(apiKeys.id, u.keyId))
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .where(eq(u.day, input.day))
    .groupBy(id, label, accounts.email)
    .orderBy(desc(sql`sum(${u.promptTokens} + ${u.completionTokens})`), id)
    .limit(input.limit);
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    email: r.email,
    requests: Number(r.requests),
    prompt_tokens: Number(r.prompt),
    completion_tokens: Number(r.completion),
  }));
}
