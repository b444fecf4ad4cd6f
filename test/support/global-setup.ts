import postgres from "postgres";
import { runMigrations } from "../../src/db/migrate.js";
import { ADMIN_URL, databaseUrl, TEMPLATE_DB } from "./db-names.js";

// Migrates one template database per run; each test file then clones it (CREATE DATABASE … TEMPLATE),
// which is much faster than migrating every file's database.
export default async function setup(): Promise<void> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await sql.unsafe(`create database ${TEMPLATE_DB}`);
  } finally {
    await sql.end();
  }
  await runMigrations({ databaseUrl: databaseUrl(TEMPLATE_DB), databaseSsl: "off", databasePoolMax: 1 });
}
