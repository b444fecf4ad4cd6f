import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Config } from "../config/config.js";
import * as schema from "./schema.js";

export type Db = PostgresJsDatabase<typeof schema>;
/** The handle a `db.transaction(async (tx) => …)` callback receives. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type Sql = postgres.Sql;

export interface Database {
  db: Db;
  sql: Sql;
  close(): Promise<void>;
}

/**
 * TLS for PostgreSQL. Heroku Postgres requires TLS but presents certificates that do not chain to a
 * public root, so "auto" turns TLS on without verification for any non-local host, or whenever the
 * URL asks for it with sslmode; "verify" is for providers with proper certificates.
 */
export function postgresSslOption(
  databaseUrl: string,
  mode: Config["databaseSsl"],
): false | "require" | { rejectUnauthorized: boolean } {
  if (mode === "off") return false;
  if (mode === "verify") return { rejectUnauthorized: true };
  if (mode === "no-verify") return { rejectUnauthorized: false };
  const url = new URL(databaseUrl);
  const sslmode = url.searchParams.get("sslmode");
  if (sslmode === "disable") return false;
  if (sslmode === "verify-full" || sslmode === "verify-ca") return { rejectUnauthorized: true };
  if (sslmode) return { rejectUnauthorized: false };
  const local = ["localhost", "127.0.0.1", "::1", "[::1]", ""].includes(url.hostname);
  return local ? false : { rejectUnauthorized: false };
}

export function connectDatabase(
  config: Pick<Config, "databaseUrl" | "databaseSsl" | "databasePoolMax">,
  options: { onQuery?: (query: string) => void } = {},
): Database {
  const url = new URL(config.databaseUrl);
  // postgres.js would otherwise interpret sslmode itself; the option above is the single decision.
  url.searchParams.delete("sslmode");
  const sql = postgres(url.toString(), {
    max: config.databasePoolMax,
    ssl: postgresSslOption(config.databaseUrl, config.databaseSsl),
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
    debug: options.onQuery ? (_connection, query) => options.onQuery?.(query) : undefined,
  });
  const db = drizzle(sql, { schema });
  return {
    db,
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}
