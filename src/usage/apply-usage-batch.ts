import type { Database } from "../db/client.js";
import type { Clock } from "../time/clock.js";
import { USAGE_COUNTERS, type UsageCounter } from "./buffer.js";
import type { KeyUsage } from "./read-usage-batch.js";

// Writing one batch of a flush (flush.ts) to PostgreSQL, at most once whatever reruns it.

/**
 * One statement: claim the batch id, and only if the claim is new, move last_used_at forward (never
 * back: GREATEST ignores a NULL) and add the day counts and the per-model counts. Keys deleted meanwhile are skipped rather than
 * failing the batch: FOR KEY SHARE waits for a concurrent delete and then leaves the row out.
 */
export async function applyUsageBatch(
  deps: { database: Database; clock: Clock },
  id: string,
  keyIds: string[],
  usage: Map<string, KeyUsage>,
): Promise<boolean> {
  const touched: { key_id: string; used_at: string }[] = [];
  const counts: { key_id: string; day: string; requests: number }[] = [];
  const byModel: Array<Record<string, string | number>> = [];
  for (const keyId of keyIds) {
    const u = usage.get(keyId) as KeyUsage;
    if (u.lastUsedMs !== null) touched.push({ key_id: keyId, used_at: new Date(u.lastUsedMs).toISOString() });
    for (const [day, requests] of u.days) counts.push({ key_id: keyId, day, requests });
    for (const [slot, counters] of u.models) {
      const row: Record<string, string | number> = {
        key_id: keyId,
        day: slot.slice(0, 10),
        model: slot.slice(11),
      };
      for (const [letter, column] of Object.entries(USAGE_COUNTERS)) {
        row[column] = counters[letter as UsageCounter] ?? 0;
      }
      byModel.push(row);
    }
  }
  // The batch travels as JSON parameters: postgres.js cannot type sql.array() on a connection's first
  // query, and jsonb_to_recordset gives the same set-based plan as unnest.
  const sql = deps.database.sql;
  const [row] = await sql<{ claimed: number }[]>`
    with claimed as (
      insert into usage_flush_batches (id, applied_at) values (${id}, ${deps.clock.now().toISOString()})
      on conflict (id) do nothing
      returning id
    ),
    live as (
      select id from api_keys
      where id in (select jsonb_array_elements_text(${JSON.stringify(keyIds)}::jsonb))
        and exists (select 1 from claimed)
      for key share
    ),
    touched as (
      update api_keys k set last_used_at = greatest(k.last_used_at, u.used_at)
      from jsonb_to_recordset(${JSON.stringify(touched)}::jsonb) as u(key_id text, used_at timestamptz)
      where k.id = u.key_id and k.id in (select id from live)
      returning k.id
    ),
    counted as (
      insert into key_usage_daily (key_id, day, requests)
      select c.key_id, c.day, c.requests
      from jsonb_to_recordset(${JSON.stringify(counts)}::jsonb) as c(key_id text, day date, requests bigint)
      where c.key_id in (select id from live)
      on conflict (key_id, day) do update set requests = key_usage_daily.requests + excluded.requests
      returning key_id
    ),
    modelled as (
      insert into key_model_usage_daily as t (key_id, day, model, answered, refused, upstream_errors,
                                              prompt_tokens, completion_tokens, requests_without_usage)
      select m.key_id, m.day, m.model, m.answered, m.refused, m.upstream_errors,
             m.prompt_tokens, m.completion_tokens, m.requests_without_usage
      from jsonb_to_recordset(${JSON.stringify(byModel)}::jsonb) as m(
        key_id text, day date, model text, answered bigint, refused bigint, upstream_errors bigint,
        prompt_tokens bigint, completion_tokens bigint, requests_without_usage bigint)
      where m.key_id in (select id from live)
      on conflict (key_id, day, model) do update set
        answered = t.answered + excluded.answered,
        refused = t.refused + excluded.refused,
        upstream_errors = t.upstream_errors + excluded.upstream_errors,
        prompt_tokens = t.prompt_tokens + excluded.prompt_tokens,
        completion_tokens = t.completion_tokens + excluded.completion_tokens,
        requests_without_usage = t.requests_without_usage + excluded.requests_without_usage
      returning key_id
    )
    select (select count(*) from claimed)::int as claimed,
           (select count(*) from touched)::int as touched,
           (select count(*) from counted)::int as counted,
           (select count(*) from modelled)::int as modelled`;
  return (row?.claimed ?? 0) > 0;
}
