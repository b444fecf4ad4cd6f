import type { ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { Pool } from "undici";
import { median } from "./processes.js";

// Two measurements of routing by model (issue 11), reported beside the main table:
// - the routed run: keyward with three upstreams (two replicas of vllm-primary, one vllm-small) under
//   chat completions alternating the two models, against keyward with the single UPSTREAM_URL;
// - many concurrent streams: N streamed chat completions started at once, each lasting seconds, through
//   the bare proxy and through keyward; the time to each stream's first chunk, p99. A pool capped at
//   256 connections made the 257th stream wait for a whole stream to end.

type Target = { port: number; child: ChildProcess };

const chat = (model: string, stream = false) =>
  JSON.stringify({ model, stream, messages: [{ role: "user", content: "Hello!" }] });

async function flatOut(
  target: Target,
  secret: string,
  models: string[],
  connections: number,
  seconds: number,
) {
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}`,
    connections,
    duration: seconds,
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    // Each connection cycles through these: one model after the other.
    requests: models.map((model) => ({
      method: "POST" as const,
      path: "/v1/chat/completions",
      body: chat(model),
    })),
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

export async function measureRouted(
  single: Target,
  routed: Target,
  secret: string,
  options: { connections: number; seconds: number; warmupSeconds: number; rounds: number },
): Promise<{ lines: string[]; ratio: number }> {
  const singleModels = ["vllm-primary"];
  const routedModels = ["vllm-primary", "vllm-small"];
  await flatOut(single, secret, singleModels, options.connections, options.warmupSeconds);
  await flatOut(routed, secret, routedModels, options.connections, options.warmupSeconds);
  const singles: Awaited<ReturnType<typeof flatOut>>[] = [];
  const routeds: Awaited<ReturnType<typeof flatOut>>[] = [];
  for (let round = 0; round < options.rounds; round++) {
    singles.push(await flatOut(single, secret, singleModels, options.connections, options.seconds));
    routeds.push(await flatOut(routed, secret, routedModels, options.connections, options.seconds));
  }
  const ratio = median(routeds.map((r, i) => r.rps / Math.max(1, singles[i]?.rps ?? 0)));
  const rps = (runs: typeof singles) => median(runs.map((r) => r.rps)).toFixed(0);
  const p99 = (runs: typeof singles) => median(runs.map((r) => r.p99));
  const bad = (runs: typeof singles) => runs.reduce((sum, r) => sum + r.bad, 0);
  return {
    ratio,
    lines: [
      "| target | req/s flat out (median) | p99 ms (median) | non-2xx + errors |",
      "|---|---|---|---|",
      `| keyward, single UPSTREAM_URL, chat for vllm-primary | ${rps(singles)} | ${p99(singles)} | ${bad(singles)} |`,
      `| keyward, UPSTREAMS of three, chat alternating vllm-primary and vllm-small | ${rps(routeds)} (${(ratio * 100).toFixed(0)} %) | ${p99(routeds)} | ${bad(routeds)} |`,
    ],
  };
}

/** Starts `count` streams at once; resolves with each one's time to its first body chunk, in ms. */
async function firstChunks(
  target: Target,
  secret: string,
  count: number,
): Promise<{ times: number[]; bad: number }> {
  const client = new Pool(`http://127.0.0.1:${target.port}`, { connections: count, bodyTimeout: 0 });
  const body = chat("vllm-primary", true);
  let bad = 0;
  const times = await Promise.all(
    Array.from({ length: count }, async () => {
      const started = performance.now();
      const res = await client.request({
        path: "/v1/chat/completions",
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body,
      });
      if (res.statusCode !== 200) bad++;
      let first = Number.NaN;
      for await (const _chunk of res.body) {
        if (Number.isNaN(first)) first = performance.now() - started;
      }
      return first;
    }),
  );
  await client.close();
  return { times, bad };
}

function percentile(values: number[], p: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export async function measureStreams(
  bare: Target,
  keyward: Target,
  secret: string,
  options: { streams: number; rounds: number },
): Promise<{ lines: string[]; ratio: number }> {
  const bareP99: number[] = [];
  const keywardP99: number[] = [];
  const p50s: { bare: number[]; keyward: number[] } = { bare: [], keyward: [] };
  let bad = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, target, into] of [
      ["bare", bare, bareP99],
      ["keyward", keyward, keywardP99],
    ] as const) {
      // A burst first, untimed: connections on both sides of the proxy are open when the timed one starts.
      await firstChunks(target, secret, options.streams);
      const timed = await firstChunks(target, secret, options.streams);
      bad += timed.bad;
      into.push(percentile(timed.times, 99));
      p50s[name].push(percentile(timed.times, 50));
    }
  }
  const ratio = median(keywardP99.map((p, i) => p / Math.max(0.001, bareP99[i] ?? 0)));
  const ms = (v: number) => v.toFixed(1);
  return {
    ratio,
    lines: [
      "| target | first chunk p50 ms (median) | first chunk p99 ms (median) |",
      "|---|---|---|",
      `| bare proxy | ${ms(median(p50s.bare))} | ${ms(median(bareP99))} |`,
      `| keyward | ${ms(median(p50s.keyward))} | ${ms(median(keywardP99))} (× ${ratio.toFixed(2)} the bare proxy's, paired median) |`,
      "",
      `Non-200 answers: ${bad}.`,
    ],
  };
}
