import type { ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import { cpuMs, heapBytes, mainThreadCpuMs, median } from "./processes.js";

// The streamed run of token metering (issue 12): N streams of C chunks each through the bare proxy and
// through keyward, the client not asking for usage (keyward then asks the upstream for it, reads it
// from the last event and removes that event: its most expensive case). Two arrival patterns, each
// with all N streams open together at its peak: all N requests sent at once (a burst: the last
// request's first byte waits for every other request to be admitted), and one request every `paceMs`
// (the streams still overlap, C × the chunk interval being longer than N × paceMs, but each request
// meets open streams rather than a queue of other requests: the first byte then shows what the proxy
// adds to one request). Measured per target: CPU per chunk (the target process's user + system time
// over the run, divided by the content chunks it passed; also its main thread's alone), time to first
// byte p50 and p99. Memory per open stream is read in the untimed run (a forced full collection would
// weigh on a timed one): the target's live heap and external bytes once every stream has its first
// chunk, less the same once every stream has ended and the client's connections are closed, over N.
// The target's connections to the upstream stay open (kept alive) in both readings, so their cost is
// not in the figure: it is what an open stream holds beyond an idle upstream connection.

type Target = { port: number; child: ChildProcess };

export function percentile(values: number[], p: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export interface Run {
  ttfb: number[];
  cpuUsPerChunk: number;
  mainThreadUsPerChunk: number;
  /** Only where asked for (the untimed run), else NaN. */
  heapPerStreamKiB: number;
  bad: number;
}

export async function run(
  target: Target,
  secret: string,
  shape: { streams: number; chunks: number; paceMs: number },
  measureHeap = false,
): Promise<Run> {
  const { streams, chunks, paceMs } = shape;
  const client = new Pool(`http://127.0.0.1:${target.port}`, { connections: streams, bodyTimeout: 0 });
  const body = JSON.stringify({
    model: "vllm-primary",
    stream: true,
    max_tokens: chunks,
    messages: [{ role: "user", content: "Tell me a story." }],
  });
  const pid = target.child.pid;
  const cpuBefore = cpuMs(pid);
  const mainBefore = mainThreadCpuMs(pid);
  let bad = 0;
  let firstChunks = 0;
  let heapOpen: Promise<number> | undefined;
  const began = performance.now();
  const ttfb = await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      if (paceMs > 0) await sleep(Math.max(0, began + i * paceMs - performance.now()));
      const started = performance.now();
      const res = await client.request({
        path: "/v1/chat/completions",
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body,
      });
      if (res.statusCode !== 200) bad++;
      let first = Number.NaN;
      for await (const _chunk of res.body as AsyncIterable<Buffer>) {
        if (Number.isNaN(first)) {
          first = performance.now() - started;
          // Every stream is open and under way: the target holds all of them now.
          if (++firstChunks === streams && measureHeap) heapOpen = heapBytes(target.child);
        }
      }
      return first;
    }),
  );
  const per = (ms: number) => (ms * 1000) / (streams * chunks);
  const cpuUsPerChunk = per(cpuMs(pid) - cpuBefore);
  const mainThreadUsPerChunk = per(mainThreadCpuMs(pid) - mainBefore);
  await client.close();
  let heapPerStreamKiB = Number.NaN;
  if (heapOpen) {
    const open = await heapOpen;
    // The client's connections are closed on its side; the target hears of it a moment later.
    await sleep(1_000);
    heapPerStreamKiB = (open - (await heapBytes(target.child))) / streams / 1024;
  }
  return { ttfb, cpuUsPerChunk, mainThreadUsPerChunk, heapPerStreamKiB, bad };
}

interface Comparison {
  cpuRatio: number;
  p99GapMs: number;
}

/** Median of the paired ratios and gaps: each keyward run against the bare-proxy run just before it. */
function compare(bare: Run[], keyward: Run[]): Comparison {
  return {
    cpuRatio: median(keyward.map((k, i) => k.cpuUsPerChunk / (bare[i]?.cpuUsPerChunk ?? 1))),
    p99GapMs: median(keyward.map((k, i) => percentile(k.ttfb, 99) - percentile(bare[i]?.ttfb ?? [], 99))),
  };
}

function row(name: string, list: Run[]): string {
  const m = (f: (r: Run) => number) => median(list.map(f));
  return `| ${name} | ${m((r) => r.cpuUsPerChunk).toFixed(2)} | ${m((r) => r.mainThreadUsPerChunk).toFixed(2)} | ${m((r) => percentile(r.ttfb, 50)).toFixed(1)} / ${m((r) => percentile(r.ttfb, 99)).toFixed(1)} | ${list.reduce((n, r) => n + r.bad, 0)} |`;
}

/**
 * Each round's pair, and how far the bare proxy's own p99 moves from round to round: a gap smaller
 * than that spread is below what the measurement resolves.
 */
function spread(label: string, bare: Run[], keyward: Run[]): string {
  const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms.toFixed(1)}`;
  const ratios = keyward.map((k, i) => (k.cpuUsPerChunk / (bare[i]?.cpuUsPerChunk ?? 1)).toFixed(2));
  const gaps = keyward.map((k, i) => signed(percentile(k.ttfb, 99) - percentile(bare[i]?.ttfb ?? [], 99)));
  const bareP99 = bare.map((b) => percentile(b.ttfb, 99));
  return `${label}, round by round: CPU per chunk × ${ratios.join(", ")}; first-byte p99 gap ${gaps.join(", ")} ms; the bare proxy's own p99 from ${Math.min(...bareP99).toFixed(1)} to ${Math.max(...bareP99).toFixed(1)} ms over its rounds.`;
}

function verdict(label: string, c: Comparison): string {
  const gap = `${c.p99GapMs >= 0 ? "+" : ""}${c.p99GapMs.toFixed(1)} ms`;
  return `${label}: keyward's CPU per chunk × ${c.cpuRatio.toFixed(2)} the bare proxy's (target ≤ 1.3: ${c.cpuRatio <= 1.3 ? "met" : "MISSED"}); first-byte p99 ${gap} over the bare proxy's (target ≤ +1 ms: ${c.p99GapMs <= 1 ? "met" : "MISSED"})`;
}

export async function measureTokenStreams(
  bare: Target,
  keyward: Target,
  secret: string,
  options: { streams: number; chunks: number; rounds: number; paceMs: number },
): Promise<{ lines: string[]; verdicts: string[] }> {
  const atOnce = { streams: options.streams, chunks: options.chunks, paceMs: 0 };
  const paced = { ...atOnce, paceMs: options.paceMs };
  // Untimed first, at full size: JIT, heaps grown to hold every stream, connections on both sides of
  // each proxy, keyward's key cache. (A small warm-up left keyward's first timed run its slowest.)
  const bareHeap = (await run(bare, secret, atOnce, true)).heapPerStreamKiB;
  const keywardHeap = (await run(keyward, secret, atOnce, true)).heapPerStreamKiB;
  const runs = { bare: [] as Run[], keyward: [] as Run[], barePaced: [] as Run[], keywardPaced: [] as Run[] };
  for (let round = 0; round < options.rounds; round++) {
    runs.bare.push(await run(bare, secret, atOnce));
    runs.keyward.push(await run(keyward, secret, atOnce));
    runs.barePaced.push(await run(bare, secret, paced));
    runs.keywardPaced.push(await run(keyward, secret, paced));
  }
  const perSecond = Math.round(1000 / options.paceMs);
  return {
    lines: [
      "| target, arrival | CPU µs per chunk (median) | of which main thread | first byte p50 / p99 ms (median) | non-200 |",
      "|---|---|---|---|---|",
      row("bare proxy, all at once", runs.bare),
      row("keyward, all at once", runs.keyward),
      row(`bare proxy, ${perSecond} a second`, runs.barePaced),
      row(`keyward, ${perSecond} a second`, runs.keywardPaced),
      "",
      `Memory per open stream (live heap and external bytes, untimed run): bare proxy ${bareHeap.toFixed(1)} KiB, keyward ${keywardHeap.toFixed(1)} KiB.`,
      "",
      `- ${spread("All at once", runs.bare, runs.keyward)}`,
      `- ${spread(`${perSecond} a second`, runs.barePaced, runs.keywardPaced)}`,
    ],
    verdicts: [
      verdict("all at once", compare(runs.bare, runs.keyward)),
      verdict(`${perSecond} a second`, compare(runs.barePaced, runs.keywardPaced)),
    ],
  };
}
