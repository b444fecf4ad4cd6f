import { z } from "zod";
import { utcDay } from "./buffer.js";

// Request and response schemas of the usage endpoints, validated with and registered in the OpenAPI
// document as the same objects.

const count = z.number().int().min(0);
const model = z.string().nullable().meta({ description: "The request's `model`; null where it had none." });

export const ModelUsageSchema = z
  .object({
    model,
    requests: count,
    answered: count.meta({ description: "Answered by the upstream (2xx)." }),
    refused: count.meta({ description: "Refused by keyward: permission, request or token limit." }),
    upstream_errors: count.meta({ description: "The upstream answered an error or could not be reached." }),
    prompt_tokens: count,
    completion_tokens: count,
  })
  .meta({ id: "ModelUsage" });

export const DayUsageSchema = z
  .object({
    date: z.iso.date(),
    requests: count,
    prompt_tokens: count,
    completion_tokens: count,
    by_model: z.array(ModelUsageSchema),
  })
  .meta({ id: "DayUsage" });

export const KeyUsageResponse = z.object({ data: z.array(DayUsageSchema) });

export const MAX_USAGE_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * The first day usage can be asked for. PostgreSQL has no year 0 and keyward none before 1970: a
 * date as YYYY-MM-DD may still be "0000-01-01", which the database would refuse with an error.
 */
export const EARLIEST_USAGE_DAY = "1970-01-01";

/** A UTC day as YYYY-MM-DD, from EARLIEST_USAGE_DAY on (ISO dates compare as strings). */
export const usageDay = z.iso
  .date({ message: "must be a date as YYYY-MM-DD" })
  .refine((value) => value >= EARLIEST_USAGE_DAY, { message: `must be ${EARLIEST_USAGE_DAY} or later` });

const day = usageDay;

export const AccountUsageQuery = z
  .strictObject({
    from: day
      .optional()
      .meta({ description: "First UTC day (inclusive), 1970-01-01 or later; default: 29 days before `to`." }),
    to: day
      .optional()
      .meta({ description: "Last UTC day (inclusive), 1970-01-01 or later; default: today." }),
    format: z.enum(["json", "csv"]).optional().meta({ description: "csv, or send Accept: text/csv." }),
  })
  .meta({ id: "AccountUsageQuery" });

export type AccountUsageRange = { ok: true; from: string; to: string } | { ok: false; message: string };

/** The range asked for, with its defaults; refused when reversed or longer than a year. */
export function usageRange(query: { from?: string; to?: string }, now: Date): AccountUsageRange {
  const to = query.to ?? utcDay(now);
  const back = utcDay(new Date(Date.parse(to) - 29 * DAY_MS));
  const from = query.from ?? (back < EARLIEST_USAGE_DAY ? EARLIEST_USAGE_DAY : back);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) return { ok: false, message: "from: must not be after to" };
  if (days > MAX_USAGE_RANGE_DAYS) {
    return { ok: false, message: `from: the range may cover at most ${MAX_USAGE_RANGE_DAYS} days` };
  }
  return { ok: true, from, to };
}

export const UsageRowSchema = z
  .object({
    date: z.iso.date(),
    key_id: z.string(),
    model,
    requests: count,
    prompt_tokens: count,
    completion_tokens: count,
  })
  .meta({ id: "UsageRow" });

export const AccountUsageResponse = z.object({ data: z.array(UsageRowSchema) });
