import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { utimesSync } from "node:fs";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis/client.js";
import { freePort } from "./support/child-processes.js";
import { ADMIN_URL, databaseUrl, REDIS_URL } from "./support/db-names.js";
import { waitFor } from "./support/wait-for.js";

// `npm run dev` from nothing: a database that does not exist yet, then web and worker with reload.

const suffix = randomBytes(4).toString("hex");
const dbName = `kw_test_dev_${suffix}`;
const prefix = `kwtest-dev-${suffix}`;
let dev: ChildProcess | undefined;

afterAll(async () => {
  if (dev && dev.exitCode === null) dev.kill("SIGKILL");
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop database if exists ${dbName} with (force)`);
  await sql.end();
  const redis = connectRedis({ redisUrl: REDIS_URL, redisTlsRejectUnauthorized: false });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe("npm run dev", () => {
  it("creates and migrates the database, runs web and worker, and stops both on one SIGINT", async () => {
    const port = await freePort();
    const output: string[] = [];
    dev = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: databaseUrl(dbName),
        REDIS_URL,
        REDIS_PREFIX: prefix,
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [dev.stdout, dev.stderr]) {
      stream?.on("data", (d: Buffer) => output.push(...d.toString("utf8").split("\n").filter(Boolean)));
    }
    const exited = new Promise<number | null>((resolve) => dev?.once("exit", (code) => resolve(code)));

    const ready = await waitFor(
      "the web process to be ready",
      () =>
        fetch(`http://127.0.0.1:${port}/readyz`)
          .then((r) => r.json() as Promise<{ status?: string }>)
          .then((body) => (body.status === "ready" ? body : undefined))
          .catch(() => undefined),
      30_000,
    ).catch(() => undefined);
    expect(ready?.status, output.join("\n")).toBe("ready");
    // Each process's lines reach the dev script through a pipe of their own, relayed as they come: the
    // web's "listening" line may still be on its way when /readyz has answered.
    for (const [name, line] of [
      ["web", "web listening"],
      ["worker", "worker started"],
    ] as const) {
      await waitFor(
        `the ${name}'s "${line}" line`,
        () => output.some((l) => l.startsWith(`[${name}]`) && l.includes(line)),
        20_000,
      );
    }
    expect(output).toContain(`[dev] created database ${dbName}`);
    expect(output).toContain("[dev] migrations applied");

    // The console, built by Vite's watcher into the folder the web process serves.
    const built = () => output.some((l) => l.startsWith("[console]") && l.includes("console first load"));
    for (let i = 0; i < 300 && !built(); i++) await new Promise((r) => setTimeout(r, 100));
    const consolePage = await fetch(`http://127.0.0.1:${port}/console/`);
    expect(consolePage?.status, output.join("\n")).toBe(200);
    const html = await consolePage.text();
    expect(html).toContain('<div id="app">');
    // Live reload: the page asks for the build's identity; a rebuilt index.html (its mtime moved) changes it.
    expect(html).toContain('src="./live-reload.js"');
    const buildOf = () => fetch(`http://127.0.0.1:${port}/console/live-reload`).then((r) => r.text());
    const before = await buildOf();
    const later = new Date(Date.now() + 5_000);
    utimesSync("dist/console/index.html", later, later);
    const after = await buildOf();
    expect(after).not.toBe(before);
    expect(await fetch(`http://127.0.0.1:${port}/console/live-reload.js`).then((r) => r.text())).toContain(
      "location.reload()",
    );

    const sql = postgres(databaseUrl(dbName), { max: 1, onnotice: () => {} });
    const tables = await sql<{ count: number }[]>`
      select count(*)::int as count from information_schema.tables where table_name in ('accounts', 'api_keys')`;
    await sql.end();
    expect(tables[0]?.count).toBe(2);

    dev.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output.filter((l) => l.includes('"msg":"stopped"')).length, output.slice(-30).join("\n")).toBe(2);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 60_000);
});
