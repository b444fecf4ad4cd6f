import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { cpuMs, median } from "./processes.js";

// The streamed run of token metering (issue 12): N streams of C chunks each, started at once, through
// the bare proxy and through keyward, the client not asking for usage (keyward then asks the upstream
// for it, reads it from the last event and removes that event: its most expensive case). Measured per
// target: CPU per chunk (the target process's user + system time over the run, divided by the content
// chunks it passed), time to first byte p99, and memory per open stream (the target's resident size
// once every stream has its first chunk, less before the burst, divided by N).

type Target = { port: number; child: ChildProcess };

/** Resident set size of a process in bytes (Linux /proc), NaN elsewhere. */
function rssBytes(pid: number | undefined): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
    return line ? Number(line[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function percentile(values: number[], p: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

interface Burst {
  ttfb: number[];
  cpuUsPerChunk: number;
  rssPerStreamKiB: number;
  bad: number;
  chunksSeen: number;
}

async function burst(target: Target, secret: string, streams: number, chunks: number): Promise<Burst> {
  const client = new Pool(`http://127.0.0.1:${target.port}`, { connections: streams, bodyTimeout: 0 });
  const body = JSON.stringify({
    model: "vllm-primary",
    stream: true,
    max_tokens: chunks,
    messages: [{ role: "user", content: "Tell me a story." }],
  });
  const rssBefore = rssBytes(target.child.pid);
  const cpuBefore = cpuMs(target.child.pid);
  let bad = 0;
  let chunksSeen = 0;
  let firstChunks = 0;
  let rssOpen = Number.NaN;
  const ttfb = await Promise.all(
    Array.from({ length: streams }, async () => {
      const started = performance.now();
      const res = await client.request({
        path: "/v1/chat/completions",
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body,
      });
      if (res.statusCode !== 200) bad++;
      let first = Number.NaN;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (Number.isNaN(first)) {
          first = performance.now() - started;
          // Every stream is open and under way: the target holds all of them now.
          if (++firstChunks === streams) rssOpen = rssBytes(target.child.pid);
        }
        chunksSeen += chunk.length > 0 ? 1 : 0;
      }
      return first;
    }),
  );
  const cpuUs = (cpuMs(target.child.pid) - cpuBefore) * 1000;
  await client.close();
  return {
    ttfb,
    cpuUsPerChunk: cpuUs / (streams * chunks),
    rssPerStreamKiB: (rssOpen - rssBefore) / streams / 1024,
    bad,
    chunksSeen,
  };
}

export async function measureTokenStreams(
  bare: Target,
  keyward: Target,
  secret: string,
  options: { streams: number; chunks: number; rounds: number },
): Promise<{ lines: string[]; cpuRatio: number; p99GapMs: number }> {
  const runs: Record<"bare" | "keyward", Burst[]> = { bare: [], keyward: [] };
  // Untimed first: JIT, connections on both sides of each proxy, keyward's key cache.
  await burst(bare, secret, Math.min(100, options.streams), 10);
  await burst(keyward, secret, Math.min(100, options.streams), 10);
  for (let round = 0; round < options.rounds; round++) {
    runs.bare.push(await burst(bare, secret, options.streams, options.chunks));
    runs.keyward.push(await burst(keyward, secret, options.streams, options.chunks));
  }
  const cpuRatio = median(runs.keyward.map((k, i) => k.cpuUsPerChunk / (runs.bare[i]?.cpuUsPerChunk ?? 1)));
  const p99 = (list: Burst[]) => median(list.map((b) => percentile(b.ttfb, 99)));
  const p99GapMs = median(
    runs.keyward.map((k, i) => percentile(k.ttfb, 99) - percentile(runs.bare[i]?.ttfb ?? [], 99)),
  );
  const row = (name: string, list: Burst[]) =>
    `| ${name} | ${median(list.map((b) => b.cpuUsPerChunk)).toFixed(2)} | ${median(list.map((b) => percentile(b.ttfb, 50))).toFixed(1)} / ${p99(list).toFixed(1)} | ${median(list.map((b) => b.rssPerStreamKiB)).toFixed(1)} | ${list.reduce((n, b) => n + b.bad, 0)} |`;
  return {
    cpuRatio,
    p99GapMs,
    lines: [
      "| target | CPU µs per chunk (median) | first byte p50 / p99 ms (median) | memory per open stream, KiB (median) | non-200 |",
      "|---|---|---|---|---|",
      row("bare proxy", runs.bare),
      row("keyward", runs.keyward),
      "",
      `keyward's CPU per chunk × ${cpuRatio.toFixed(2)} the bare proxy's (median of paired rounds; target ≤ 1.3: ${cpuRatio <= 1.3 ? "met" : "MISSED"}); first-byte p99 ${p99GapMs >= 0 ? "+" : ""}${p99GapMs.toFixed(1)} ms over the bare proxy's (median of paired rounds; target ≤ +1 ms: ${p99GapMs <= 1 ? "met" : "MISSED"}).`,
    ],
  };
}
