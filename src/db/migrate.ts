import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Config } from "../config/config.js";
import { connectDatabase, postgresSslOption } from "./client.js";

// From src/db, or from the compiled dist/src/db (and the benchmark's dist-bench/src/db).
export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url)).replace(
  /\/dist(-bench)?\/drizzle$/,
  "/drizzle",
);

/** Creates the database named in the URL if it does not exist (for `npm run dev` and tests). */
export async function ensureDatabase(config: Pick<Config, "databaseUrl" | "databaseSsl">): Promise<boolean> {
  const url = new URL(config.databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!name) return false;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  admin.searchParams.delete("sslmode");
  const sql = postgres(admin.toString(), {
    max: 1,
    onnotice: () => {},
    ssl: postgresSslOption(config.databaseUrl, config.databaseSsl),
  });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length > 0) return false;
    try {
      await sql.unsafe(`create database "${name.replace(/"/g, '""')}"`);
    } catch (err) {
      // Another process created it between our check and our create.
      if ((err as { code?: string }).code !== "42P04") throw err;
    }
    return true;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Applies pending migrations; concurrent callers are serialised by an advisory lock. */
export async function runMigrations(
  config: Pick<Config, "databaseUrl" | "databaseSsl" | "databasePoolMax">,
): Promise<void> {
  const database = connectDatabase({ ...config, databasePoolMax: 1 });
  try {
    await database.sql`select pg_advisory_lock(727274)`;
    await migrate(database.db, { migrationsFolder });
    await database.sql`select pg_advisory_unlock(727274)`;
  } finally {
    await database.close();
  }
}
