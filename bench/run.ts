import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import autocannon from "autocannon";
import { connectRedis } from "../src/redis/client.js";
import { prepareBenchDatabase } from "./bench-database.js";
import { BENCH_REDIS_URL, cpuMs, keywardBenchEnv, median, repositoryRoot, startServer } from "./processes.js";
import { measureRouted, measureStreams } from "./routed.js";
import { measureTokenStreams } from "./token-streams.js";

// `npm run bench`: the upstream stand-in, a bare undici pass-through (the floor) and keyward, each in
// its own process; the same autocannon load through each, first flat out (saturation), then at half
// the bare proxy's saturation rate (latency at a realistic load). Prints the table and writes it to
// BENCHMARKS.md. A benchmark, not a test: numbers depend on the machine and what else runs on it.

const PG_BASE = process.env.BENCH_PG_BASE ?? "postgres://postgres@127.0.0.1:5432";
const DB_NAME = "keyward_bench";
const PREFIX = `kwbench-${randomBytes(4).toString("hex")}`;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const WARMUP_SECONDS = 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const STREAM_CHUNKS = Number(process.env.BENCH_STREAM_CHUNKS ?? 200);
// Time between a metered stream's chunks at the upstream: 200 chunks in 20 s, 10,000 chunks/s for 1,000
// streams (at 20 ms, 50,000 chunks/s, the bare proxy itself fell seconds behind on a 2-core machine).
const STREAM_CHUNK_MS = Number(process.env.BENCH_STREAM_CHUNK_MS ?? 100);
// The metered streams' second arrival pattern: one request every 10 ms, 1,000 in 10 s, each stream
// lasting 20 s: all of them are open together from the 10th to the 20th second.
const STREAM_PACE_MS = Number(process.env.BENCH_STREAM_PACE_MS ?? 10);
const ABLATION_MARKER = "<!-- bench/ablate.sh writes below this line; npm run bench keeps it -->";

function askQueries(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { queries?: number }) => {
      if (typeof m.queries === "number") {
        child.off("message", onMessage);
        resolve(m.queries);
      }
    };
    child.on("message", onMessage);
    child.send({ type: "queries" });
  });
}

interface Load {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
}

const LOADS: Load[] = [
  { name: "GET /v1/models", method: "GET", path: "/v1/models" },
  {
    name: "POST /v1/chat/completions",
    method: "POST",
    path: "/v1/chat/completions",
    body: JSON.stringify({ model: "vllm-primary", messages: [{ role: "user", content: "Hello!" }] }),
  },
];

interface Measured {
  rps: number;
  /** CPU time (user + system) the target process spent per request, in µs; NaN where /proc is absent. */
  cpuUs: number;
  p50: number;
  p99: number;
  requests: number;
  bad: number;
}

async function hit(
  target: { port: number; child: ChildProcess },
  load: Load,
  secret: string,
  seconds: number,
  rate?: number,
): Promise<Measured> {
  const cpuBefore = cpuMs(target.child.pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}${load.path}`,
    method: load.method,
    body: load.body,
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    connections: CONNECTIONS,
    duration: seconds,
    overallRate: rate,
  });
  return {
    rps: result.requests.average,
    cpuUs: ((cpuMs(target.child.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

/** The run with the median `by` (req/s flat out, p99 at a set rate), and the sums over all runs. */
function medianRun(runs: Measured[], by: (run: Measured) => number): Measured {
  const sorted = [...runs].sort((a, b) => by(a) - by(b));
  const middle = sorted[Math.floor(sorted.length / 2)] as Measured;
  return {
    ...middle,
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    bad: runs.reduce((sum, r) => sum + r.bad, 0),
  };
}

/**
 * ROUNDS runs each, alternating the two targets so that both meet the same moments of a shared
 * machine; each target's median run stands for it: by req/s flat out (no `rate`), by p99 at a rate.
 */
async function alternate(
  bare: { port: number; child: ChildProcess },
  keyward: { port: number; child: ChildProcess },
  load: Load,
  secret: string,
  rate?: number,
): Promise<{ bare: Measured; keyward: Measured; pairedRatio: number }> {
  const bareRuns: Measured[] = [];
  const keywardRuns: Measured[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await hit(bare, load, secret, SECONDS, rate));
    keywardRuns.push(await hit(keyward, load, secret, SECONDS, rate));
  }
  const by = rate === undefined ? (run: Measured) => run.rps : (run: Measured) => run.p99;
  // Each keyward run is compared with the bare-proxy run just before it: the machine's speed drifts
  // from one minute to the next, and a pair meets the same moment.
  const pairedRatio = median(keywardRuns.map((run, i) => run.rps / Math.max(1, bareRuns[i]?.rps ?? 0)));
  return { bare: medianRun(bareRuns, by), keyward: medianRun(keywardRuns, by), pairedRatio };
}

/** CPU time (user + system) the Redis server has used, in ms, from INFO (the bare proxy uses none). */
async function redisCpu(redis: ReturnType<typeof connectRedis>): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
}

function formatLoad(load: number[]): string {
  return load.map((l) => l.toFixed(2)).join(", ");
}

async function main(): Promise<void> {
  const began = Date.now();
  const loadBefore = loadavg();
  const { databaseUrl, secret } = await prepareBenchDatabase(PG_BASE, DB_NAME);
  const children: ChildProcess[] = [];
  try {
    // Streams (only the many-streams run asks for them) last two seconds: an LLM's answer takes time.
    const upstream = await startServer("upstream", { STREAM_INTERVAL_MS: "1000" });
    children.push(upstream.child);
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const bare = await startServer("bare-proxy", { UPSTREAM_URL: upstreamUrl });
    children.push(bare.child);
    const keywardEnv = keywardBenchEnv(databaseUrl, PREFIX);
    const keyward = await startServer("keyward-server", { ...keywardEnv, UPSTREAM_URL: upstreamUrl });
    children.push(keyward.child);
    // Routing by model: three stand-ins, two replicas of vllm-primary and one vllm-small.
    const three = await startServer("upstream", {
      STUB_MODELS: JSON.stringify([["vllm-primary"], ["vllm-primary"], ["vllm-small"]]),
    });
    children.push(three.child);
    const routedKeyward = await startServer("keyward-server", {
      ...keywardEnv,
      UPSTREAMS: JSON.stringify(three.ports.map((port) => ({ url: `http://127.0.0.1:${port}` }))),
    });
    children.push(routedKeyward.child);
    // Token metering's streamed run: its own upstream (a chunk every STREAM_CHUNK_MS) and proxies.
    const chunkingUpstream = await startServer("upstream", { STREAM_INTERVAL_MS: String(STREAM_CHUNK_MS) });
    children.push(chunkingUpstream.child);
    const chunkingUrl = `http://127.0.0.1:${chunkingUpstream.port}`;
    // --expose-gc: the untimed run reads their live heap after a full collection (heap-probe.ts).
    const meteredBare = await startServer("bare-proxy", { UPSTREAM_URL: chunkingUrl }, ["--expose-gc"]);
    children.push(meteredBare.child);
    const meteredKeyward = await startServer("keyward-server", { ...keywardEnv, UPSTREAM_URL: chunkingUrl }, [
      "--expose-gc",
    ]);
    children.push(meteredKeyward.child);

    const rows: string[] = [];
    const verdicts: string[] = [];
    let queriesDuringRuns = 0;
    let keywardRequests = 0;
    let bareCpuUs = 0;
    let keywardCpuUs = 0;
    let redisCpuMs = 0;
    let flatOutRequests = 0;
    const redis = connectRedis({ redisUrl: BENCH_REDIS_URL, redisTlsRejectUnauthorized: false });
    for (const load of LOADS) {
      // Warm-up: JIT, keep-alive pools, keyward's key cache (its one PostgreSQL read happens here).
      await hit(bare, load, secret, WARMUP_SECONDS);
      await hit(keyward, load, secret, WARMUP_SECONDS);
      const queriesBefore = await askQueries(keyward.child);
      const redisBefore = await redisCpu(redis);
      const {
        bare: bareMax,
        keyward: kwMax,
        pairedRatio: ratio,
      } = await alternate(bare, keyward, load, secret);
      redisCpuMs += (await redisCpu(redis)) - redisBefore;
      const half = Math.max(1, Math.round(bareMax.rps / 2));
      const { bare: bareHalf, keyward: kwHalf } = await alternate(bare, keyward, load, secret, half);
      // Latency overhead at a load keyward sustains: half of its own flat-out rate, for both.
      const easy = Math.max(1, Math.round(kwMax.rps / 2));
      const { bare: bareEasy, keyward: kwEasy } = await alternate(bare, keyward, load, secret, easy);
      queriesDuringRuns += (await askQueries(keyward.child)) - queriesBefore;
      keywardRequests += kwMax.requests + kwHalf.requests + kwEasy.requests;
      flatOutRequests += kwMax.requests;
      bareCpuUs = Math.max(bareCpuUs, bareMax.cpuUs);
      keywardCpuUs = Math.max(keywardCpuUs, kwMax.cpuUs);

      const p99Gap = kwHalf.p99 - bareHalf.p99;
      const easyGap = kwEasy.p99 - bareEasy.p99;
      rows.push(
        `| ${load.name} | bare proxy | ${bareMax.rps.toFixed(0)} | ${bareMax.p50} / ${bareMax.p99} | ${bareMax.cpuUs.toFixed(0)} | ${half} | ${bareHalf.p50} / ${bareHalf.p99} | ${easy} | ${bareEasy.p50} / ${bareEasy.p99} | ${bareMax.bad + bareHalf.bad + bareEasy.bad} |`,
        `| ${load.name} | keyward | ${kwMax.rps.toFixed(0)} (${(ratio * 100).toFixed(0)} %) | ${kwMax.p50} / ${kwMax.p99} | ${kwMax.cpuUs.toFixed(0)} | ${half} | ${kwHalf.p50} / ${kwHalf.p99} | ${easy} | ${kwEasy.p50} / ${kwEasy.p99} | ${kwMax.bad + kwHalf.bad + kwEasy.bad} |`,
      );
      verdicts.push(
        `- ${load.name}: keyward at ${(ratio * 100).toFixed(0)} % of the bare proxy's req/s (target ≥ 80 %: ${ratio >= 0.8 ? "met" : "MISSED"}); p99 at ${half} req/s ${p99Gap >= 0 ? "+" : ""}${p99Gap.toFixed(0)} ms over the bare proxy (target ≤ 2 ms: ${p99Gap <= 2 ? "met" : "MISSED"}); at ${easy} req/s (half of keyward's own flat-out rate) its p99 is ${easyGap >= 0 ? "+" : ""}${easyGap.toFixed(0)} ms over the bare proxy's.`,
      );
    }
    await redis.quit();

    const routed = await measureRouted(keyward, routedKeyward, secret, {
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      rounds: ROUNDS,
    });
    verdicts.push(
      `- Routing by model: keyward with three upstreams at ${(routed.ratio * 100).toFixed(0)} % of its req/s with one (target ≥ 90 %: ${routed.ratio >= 0.9 ? "met" : "MISSED"}).`,
    );
    const streams = await measureStreams(bare, keyward, secret, { streams: STREAMS, rounds: ROUNDS });
    verdicts.push(
      `- ${STREAMS} concurrent streams: keyward's first-chunk p99 × ${streams.ratio.toFixed(2)} the bare proxy's (target ≤ 1.10: ${streams.ratio <= 1.1 ? "met" : "MISSED"}).`,
    );
    const metered = await measureTokenStreams(meteredBare, meteredKeyward, secret, {
      streams: STREAMS,
      chunks: STREAM_CHUNKS,
      rounds: ROUNDS,
      paceMs: STREAM_PACE_MS,
    });
    for (const line of metered.verdicts) {
      verdicts.push(`- ${STREAMS} metered streams of ${STREAM_CHUNKS} chunks, ${line}.`);
    }
    const redisCpuUs = (redisCpuMs * 1000) / Math.max(1, flatOutRequests);
    verdicts.push(
      `- Where the time goes (CPU per request, worst load): bare proxy ${bareCpuUs.toFixed(0)} µs, keyward ${keywardCpuUs.toFixed(0)} µs; keyward's key check, rate limit, key-use record, request id, access line and metrics add ${(keywardCpuUs - bareCpuUs).toFixed(0)} µs per request, and Redis itself spent ${redisCpuUs.toFixed(0)} µs per keyward request (its script, once per event-loop turn). Each proxy is one Node process: flat out, each keeps about one core busy, so their req/s ratio follows the inverse of their CPU ratio (${((bareCpuUs / Math.max(1, keywardCpuUs)) * 100).toFixed(0)} %).`,
    );
    const totalQueries = await askQueries(keyward.child);
    const perRequest = queriesDuringRuns / Math.max(1, keywardRequests);
    verdicts.push(
      `- PostgreSQL queries issued by keyward during the measured runs: ${queriesDuringRuns} for ${keywardRequests} requests (${perRequest.toFixed(6)} per request; target 0: ${queriesDuringRuns === 0 ? "met" : "MISSED"}); ${totalQueries} in its whole life, warm-up included (the key's one look-up and the driver's start-up).`,
    );

    const cpu = cpus();
    const machine = `${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${process.platform}`;
    const table = [
      "| load | target | req/s flat out (vs bare) | p50 / p99 ms | CPU µs per request | half bare's rate (req/s) | p50 / p99 ms | half keyward's rate (req/s) | p50 / p99 ms | non-2xx + errors |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...rows,
    ].join("\n");
    const report = [
      "# Benchmarks",
      "",
      "`npm run bench` (`bench/run.ts`, compiled by tsc into `dist-bench/` and run with node, as production runs `dist/`): the upstream stand-in (`test/support/upstream-stub.ts`), a bare undici",
      "pass-through proxy with no auth (`bench/bare-proxy.ts`, the floor) and keyward's web app",
      "(`bench/keyward-server.ts`, built as `src/api/main.ts` builds it, request logging on at `info`), each in its",
      "own process, against a fresh `keyward_bench` database with migrations applied and one enterprise key.",
      `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run after a ${WARMUP_SECONDS} s warm-up. Each measurement is ${ROUNDS} runs per target,`,
      "alternating bare proxy and keyward; the median run is shown (by req/s flat out, by p99 at a set rate), non-2xx",
      'counted over all runs; "vs bare" is the median of the ratios of each keyward run to the bare-proxy run just before it,',
      "so that both sides of a ratio meet the same moment of a machine whose speed drifts. First flat out, then at half of the bare proxy's flat-out rate (autocannon `overallRate`, the target's load), then at half of",
      "keyward's own flat-out rate (a load keyward sustains, to show its latency overhead). Latencies in ms. CPU µs per request:",
      "user + system CPU time of the target process (from /proc) over the (median) flat-out run, divided by its requests;",
      "it depends less than req/s on whatever else the machine runs at the same time.",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machine}. Shared with other work while measured, so absolute numbers are noisy;`,
      "  upstream, both proxies and autocannon share the same cores.",
      `- Load average (1, 5, 15 min, as \`uptime\` shows it) at the start: ${formatLoad(loadBefore)}; at the end: ${formatLoad(loadavg())}.`,
      `- Command: \`npm run bench\` (total ${((Date.now() - began) / 1000).toFixed(0)} s)`,
      "",
      table,
      "",
      "Since routing by model (issue 11), keyward answers `GET /v1/models` from memory (the union of its upstreams'",
      "lists) while the bare proxy forwards it: that row compares an answer with a forwarding, not like for like.",
      "",
      "### Routing by model",
      "",
      `The same keyward twice, ${ROUNDS} alternating runs each of ${SECONDS} s, ${CONNECTIONS} connections, non-streamed chat`,
      "completions: once with the single `UPSTREAM_URL`, once with `UPSTREAMS` listing three stand-ins (two replicas",
      "of `vllm-primary`, one `vllm-small`, models learned from their `GET /v1/models`), the load alternating the two",
      "models. The ratio is the median of each routed run over the single-upstream run just before it.",
      "",
      ...routed.lines,
      "",
      `### ${STREAMS} concurrent streams`,
      "",
      `${STREAMS} streamed chat completions started at once, each lasting 2 s at the upstream (a chunk, then one a`,
      "second), through the bare proxy and through keyward (single upstream, no `max_concurrency`); the time from each",
      `request to its first body chunk. ${ROUNDS} rounds per target, alternating, each timed burst right after an untimed one`,
      "(so that connections are open on both sides); the median of the rounds' p50 and p99, and the median of the",
      "paired p99 ratios. The client is one undici pool with as many connections as streams, in the benchmark's process.",
      "",
      ...streams.lines,
      "",
      `### ${STREAMS} metered streams of ${STREAM_CHUNKS} chunks`,
      "",
      `${STREAMS} streamed chat completions, each of ${STREAM_CHUNKS} content chunks a chunk every ${STREAM_CHUNK_MS} ms at the`,
      "upstream (a stand-in of its own), through a bare proxy and a keyward of their own. The client does not ask for usage, so",
      "keyward adds `include_usage`, reads the usage-only last event and removes it (`src/usage/sse-usage-tap.ts`): its most",
      `expensive case. Two arrival patterns: all ${STREAMS} requests sent at once, and one every ${STREAM_PACE_MS} ms (each stream lasting`,
      `${((STREAM_CHUNKS * STREAM_CHUNK_MS) / 1000).toFixed(0)} s, all ${STREAMS} are open together at the end of the arrivals). After one untimed run at full size per target, ${ROUNDS} rounds, alternating.`,
      "CPU per chunk: the target process's user + system time over the run (/proc, 10 ms ticks) divided by",
      `${STREAMS} × ${STREAM_CHUNKS}; the main thread's alone beside it (the rest is V8's garbage-collection helper threads`,
      "and libuv's pool). First byte: request to first body chunk, at the client. Memory per open stream, read in the",
      "untimed run (the target runs with --expose-gc): its live heap and external bytes after a full collection once every",
      `stream has its first chunk, less the same once every stream has ended and the client's connections are closed, over ${STREAMS}`,
      "(the connections to the upstream, kept alive, are in both readings: not in the figure).",
      "",
      ...metered.lines,
      "",
      "Against the targets:",
      "",
      ...verdicts,
      "",
      "Why they are missed, measured: the next section (`bench/ablate.sh`) runs keyward with its parts taken out, down to its",
      "lane and forwarder with no check at all, beside the same bare proxy.",
      "",
    ].join("\n");
    process.stdout.write(`\n${table}\n\n${verdicts.join("\n")}\n`);
    const file = new URL("BENCHMARKS.md", repositoryRoot);
    // bench/ablate.sh's section (where keyward's extra CPU goes) is kept as it was last measured.
    const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
    const ablationAt = previous.indexOf(ABLATION_MARKER);
    writeFileSync(file, ablationAt >= 0 ? `${report}\n${previous.slice(ablationAt)}` : report);
    process.stdout.write("\nwritten to BENCHMARKS.md\n");
  } finally {
    for (const child of children) child.kill("SIGTERM");
    const redis = connectRedis({ redisUrl: BENCH_REDIS_URL, redisTlsRejectUnauthorized: false });
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
}

await main();
process.exit(0);
