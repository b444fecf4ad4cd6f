import { and, eq, gte, lte } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { keyUsageDaily } from "../db/schema.js";
import { utcDay } from "./buffer.js";

const DAY_MS = 86_400_000;

/** The `days` UTC dates ending with today's, oldest first. */
export function usageWindow(now: Date, days: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => utcDay(new Date(today - (days - 1 - i) * DAY_MS)));
}

/**
 * Requests per UTC day for one key over the window, oldest first, with a zero for every day without
 * a row, so a chart needs no gap handling. Counts are what the last flush moved to PostgreSQL: use
 * still buffered in Redis appears after the next flush.
 */
export async function keyUsageByDay(
  db: Pick<Db, "select">,
  input: { keyId: string; days: number; now: Date },
): Promise<{ date: string; requests: number }[]> {
  const window = usageWindow(input.now, input.days);
  const rows = await db
    .select({ day: keyUsageDaily.day, requests: keyUsageDaily.requests })
    .from(keyUsageDaily)
    .where(
      and(
        eq(keyUsageDaily.keyId, input.keyId),
        gte(keyUsageDaily.day, window[0] as string),
        lte(keyUsageDaily.day, window[window.length - 1] as string),
      ),
    );
  const byDay = new Map(rows.map((r) => [r.day, Number(r.requests)]));
  return window.map((date) => ({ date, requests: byDay.get(date) ?? 0 }));
}
