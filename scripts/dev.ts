import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { loadConfigOrExit } from "../src/config/config.js";
import { ensureDatabase, runMigrations } from "../src/db/migrate.js";

// `npm run dev`: one command from a fresh clone to a running keyward. Creates the database if it is
// missing, applies migrations, then runs the web and worker processes with reload on change, and Vite
// rebuilding the console into dist/console (which the web process serves) on every change; their
// output is prefixed, and Ctrl-C stops them all.

// A local .env (ignored by git) is the usual place for overrides such as DATABASE_URL.
if (existsSync(".env")) process.loadEnvFile(".env");
const config = loadConfigOrExit();

try {
  if (await ensureDatabase(config))
    console.log(`[dev] created database ${new URL(config.databaseUrl).pathname.slice(1)}`);
  await runMigrations(config);
  console.log("[dev] migrations applied");
} catch (err) {
  const where = new URL(config.databaseUrl);
  where.password = "";
  console.error(`[dev] PostgreSQL at ${where.host} is not usable: ${(err as Error).message}`);
  console.error("[dev] start PostgreSQL, or point DATABASE_URL at one (in the environment or in .env)");
  process.exit(1);
}

const require = createRequire(import.meta.url);
const tsxCli = require.resolve("tsx/cli");
const viteCli = join(dirname(require.resolve("vite/package.json")), "bin/vite.js");
const colors = { web: "\x1b[36m", worker: "\x1b[35m", console: "\x1b[33m" } as const;
const useColor = process.stdout.isTTY;

function run(name: keyof typeof colors, args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CONSOLE_LIVE_RELOAD: "true" },
    // Own process group: Ctrl-C reaches only this script, which then stops each child exactly once
    // (a second signal makes tsx kill its process instead of letting it shut down).
    detached: true,
  });
  const label = useColor ? `${colors[name]}[${name}]\x1b[0m` : `[${name}]`;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (line) => console.log(`${label} ${line}`));
  }
  child.on("exit", (code, signal) => {
    if (!stopping) console.log(`${label} exited (${signal ?? code}); stopping`);
    void stop(code ?? 1);
  });
  return child;
}

let stopping = false;
const children: ChildProcess[] = [];
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
  process.exit(code);
}

const watch = (entry: string) => [tsxCli, "watch", "--clear-screen=false", entry];
children.push(
  run("web", watch("src/api/main.ts")),
  run("worker", watch("src/worker/main.ts")),
  run("console", [viteCli, "build", "--watch", "--config", "console/vite.config.ts"]),
);
console.log(
  `[dev] web on http://localhost:${config.port}: the console at /console (rebuilt and reloaded on change), API docs at /admin/docs; Ctrl-C stops all`,
);
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
