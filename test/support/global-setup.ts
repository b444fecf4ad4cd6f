import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { runMigrations } from "../../src/db/migrate.js";
import { ADMIN_URL, databaseUrl } from "./db-names.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDb: string;
  }
}

// Migrates one template database per run; each test file then clones it (CREATE DATABASE … TEMPLATE),
// which is much faster than migrating every file's database. The name is unique to the run, so two
// runs on one machine never drop each other's template.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const templateDb = `kw_template_${randomBytes(4).toString("hex")}`;
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`create database ${templateDb}`);
  } finally {
    await sql.end();
  }
  await runMigrations({ databaseUrl: databaseUrl(templateDb), databaseSsl: "off", databasePoolMax: 1 });
  project.provide("templateDb", templateDb);
  return async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`drop database if exists ${templateDb} with (force)`);
    } finally {
      await admin.end();
    }
  };
}
