// Key use is buffered in one Redis hash so the /v1 path never writes to PostgreSQL (the gateway adds
// to it in its per-turn script, proxy/hot-path-batch.ts, which also has recordKeyUse for one use):
//   `t:<keyId>`       → epoch ms of the latest use (last-used time)
//   `c:<keyId>:<day>` → requests on that UTC day
// The flush job renames the hash to hand it over atomically, then writes it to PostgreSQL.

export const pendingUsageKey = (prefix: string) => `${prefix}:usage:pending`;

export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
