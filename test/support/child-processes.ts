import { type ChildProcess, spawn } from "node:child_process";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait-for.js";

// keyward's own entry points as child processes (`node --import tsx src/worker/main.ts`, or
// `src/api/main.ts`), for the tests of what only a real process shows: signals, exit codes, logs.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const running = new Set<ChildProcess>();

/** A running worker or web process. */
export interface ServiceProcess {
  pid: number;
  /** Parsed JSON log lines (stdout), in order; a line that is not JSON appears as `{ msg: line }`. */
  logs: Record<string, unknown>[];
  /** The stdout lines that were not JSON (a log line should always be). */
  nonJsonLines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  waitForLog(
    what: string,
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  signal(sig: NodeJS.Signals): void;
}

export function spawnWorker(env: Record<string, string>): ServiceProcess {
  return spawnEntry("src/worker/main.ts", env);
}

/** A web process; give it a free `PORT` in `env`. */
export function spawnWeb(env: Record<string, string>): ServiceProcess {
  return spawnEntry("src/api/main.ts", env);
}

function spawnEntry(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  const nonJsonLines: string[] = [];
  const stderr: string[] = [];
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        nonJsonLines.push(line);
        logs.push({ msg: line });
      }
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString("utf8")));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      done = true;
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    pid: child.pid ?? -1,
    logs,
    nonJsonLines,
    stderr,
    exited,
    hasExited: () => done,
    async waitForLog(what, match, timeoutMs = 20_000) {
      await waitFor(
        what,
        async () => logs.some(match) || (done ? Promise.reject(exitError()) : false),
        timeoutMs,
      );
    },
    signal: (sig) => {
      if (!done) child.kill(sig);
    },
  };
  function exitError(): Error {
    return new Error(`${entry} (${child.pid}) exited early: ${stderr.join("").slice(-2000)}`);
  }
}

/** For afterAll: no test leaves a worker or web process behind, whatever happened. */
export async function killServiceProcesses(): Promise<void> {
  const left = [...running];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(left.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
}

/** A TCP port free at this moment on 127.0.0.1, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Waits until a web process answers `url`/readyz with 200, failing at once if it exits. tsx compiles
 * the whole of src/ at start: the first run on a fresh clone of a busy machine is far slower.
 */
export function webReady(proc: ServiceProcess, url: string, timeoutMs = 60_000): Promise<true> {
  return waitFor(
    `${url}/readyz to answer 200`,
    async () => {
      if (proc.hasExited()) throw new Error(`web ${url} exited: ${proc.stderr.join("")}`);
      return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
    },
    timeoutMs,
  );
}

/** Waits until a worker has started with its schedules in place. */
export function workerReady(proc: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  return proc.waitForLog(
    "the worker's schedules",
    (line) => line.msg === "worker started, schedules in place",
    timeoutMs,
  );
}
