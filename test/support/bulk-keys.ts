import { newId } from "../../src/db/ids.js";
import type { TestEnv } from "./harness.js";

/** Inserts `count` API keys for one account in one statement (the flush tests need thousands). */
export async function insertManyKeys(
  env: TestEnv,
  accountId: string,
  count: number,
  opts: { createdAt?: Date } = {},
): Promise<string[]> {
  const at = opts.createdAt ?? new Date();
  const ids = Array.from({ length: count }, () => newId("key", at.getTime()));
  const sql = env.database.sql;
  await sql`
    insert into api_keys (id, account_id, name, key_hash, last4, permissions, created_at)
    select k.id, ${accountId}, 'bulk ' || k.n, md5(k.id), right(md5(k.id), 4), array['models:list'], ${at.toISOString()}
    from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) with ordinality as k(id, n)`;
  return ids;
}
