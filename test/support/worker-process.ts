import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { waitFor } from "./worker-keys.js";

// Real worker processes (`node --import tsx src/worker/main.ts`) for the lifecycle tests (and web
// processes, `src/api/main.ts`, for the end-to-end test), and a Resend stand-in that can hold a
// request open so a job is provably "in hand" when a signal arrives.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const running = new Set<ChildProcess>();

export interface WorkerProcess {
  pid: number;
  /** Parsed JSON log lines (stdout), in order. */
  logs: Record<string, unknown>[];
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

export function spawnWorker(env: Record<string, string>): WorkerProcess {
  return spawnEntry("src/worker/main.ts", env);
}

/** A web process; give it a free `PORT` in `env`. Same handle as a worker's (JSON log lines, signals). */
export function spawnWeb(env: Record<string, string>): WorkerProcess {
  return spawnEntry("src/api/main.ts", env);
}

function spawnEntry(entry: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
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

/** For afterAll: no test leaves a worker (or web) process behind, whatever happened. */
export async function killAllWorkers(): Promise<void> {
  const left = [...running];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(left.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
}

export interface HeldResend {
  url: string;
  /** POST /emails bodies received, in order. */
  received: { to?: string; subject?: string; text?: string }[];
  /** While held, requests wait unanswered; release() answers them all and later ones at once. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startHeldResend(): Promise<HeldResend> {
  const received: HeldResend["received"] = [];
  let held = false;
  const waiting: (() => void)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: `held-${received.length}` }));
      };
      if (held) waiting.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const answer of waiting.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP port free at this moment on 127.0.0.1, for a child process to listen on. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
