import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

// Starts one of the benchmark's servers (upstream.ts, bare-proxy.ts, keyward-server.ts) in its own
// process and waits for its port. `npm run bench` runs the tsc-compiled files (dist-bench/), as
// production runs dist/: tsx's transform adds work per function made (its name-keeping helper) that
// the compiled code does not have. Run from a .ts file (npx tsx bench/quick.ts), it starts the .ts
// servers through tsx instead.

const compiled = !import.meta.url.endsWith(".ts");

/** The repository's root, from bench/ or from dist-bench/bench/. */
export const repositoryRoot = new URL(compiled ? "../../" : "../", import.meta.url);

export function startServer(
  name: "upstream" | "bare-proxy" | "keyward-server",
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; port: number; ports: number[] }> {
  const script = new URL(`./${name}${compiled ? ".js" : ".ts"}`, import.meta.url).pathname;
  const child = spawn(process.execPath, [...nodeArgs, ...(compiled ? [] : ["--import", "tsx"]), script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 30_000);
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
    child.on("message", (m: { ready?: boolean; port?: number; ports?: number[] }) => {
      if (m.ready && typeof m.port === "number") {
        clearTimeout(timer);
        resolve({ child, port: m.port, ports: m.ports ?? [m.port] });
      }
    });
  });
}

/** The Redis every bench tool's keyward uses. */
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * keyward's environment in every bench tool: production mode, the bench database, its own Redis
 * prefix, and tier limits far above any run so that no request is refused for them.
 */
export function keywardBenchEnv(databaseUrl: string, redisPrefix: string): Record<string, string> {
  return {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    DATABASE_SSL: "off",
    REDIS_URL: BENCH_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    RATE_LIMIT_ENTERPRISE: "1000000000",
    TOKEN_LIMIT_ENTERPRISE: "1000000000",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
  };
}

/** Live heap and external bytes of a server started with --expose-gc, after a full collection (heap-probe.ts). */
export function heapBytes(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { heap?: number }) => {
      if (typeof m.heap !== "number") return;
      child.off("message", onMessage);
      resolve(m.heap);
    };
    child.on("message", onMessage);
    child.send({ type: "heap" });
  });
}

/** CPU time (user + system) of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid: number | undefined): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * CPU time of a process's main thread alone, in ms: its JavaScript thread. The rest of the process's
 * CPU time is that of its other threads (V8's garbage-collection helpers, libuv's pool).
 */
export function mainThreadCpuMs(pid: number | undefined): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(path: string): number {
  try {
    const fields = readFileSync(path, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The middle value (the upper one of an even count); 0 for none. */
export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}
