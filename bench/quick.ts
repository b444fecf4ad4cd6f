import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import autocannon from "autocannon";
import { connectRedis } from "../src/redis/client.js";
import { prepareBenchDatabase } from "./bench-database.js";
import { BENCH_REDIS_URL, cpuMs, keywardBenchEnv, median, startServer } from "./processes.js";

// A quick look at the hot path while working on it (not `npm run bench`): the upstream stand-in, the
// bare proxy and keyward's server as bench/run.ts starts them, then autocannon (32 connections) on each
// path, REPS times per target, alternating, printing req/s, CPU µs per request (from /proc) and latency.
// `prof` starts keyward with --cpu-prof (profiles in /tmp/kwq/prof-<target>, written when it exits).
// Usage: npx tsx bench/quick.ts /v1/models,/v1/chat/completions [seconds] [prof]
//   (REPS=3 for three repeats; TARGETS=keyward to skip the bare proxy). Compiled (faster, as the
//   bench runs): npx tsc -p tsconfig.bench.json && node dist-bench/bench/quick.js …
const PG = "postgres://postgres@127.0.0.1:5432";
const DB = "keyward_quick";
const paths = (process.argv[2] ?? "/v1/models").split(",");
const seconds = Number(process.argv[3] ?? 6);
const prof = process.argv[4] === "prof";
const reps = Number(process.env.REPS ?? 2);
const targets = (process.env.TARGETS ?? "bare,keyward").split(",");
const { databaseUrl, secret } = await prepareBenchDatabase(PG, DB);
const prefix = `kwq-${randomBytes(3).toString("hex")}`;
const up = await startServer("upstream", {});
const servers: Record<string, Awaited<ReturnType<typeof startServer>>> = {};
if (targets.includes("bare")) {
  servers.bare = await startServer(
    "bare-proxy",
    { UPSTREAM_URL: `http://127.0.0.1:${up.port}` },
    prof ? ["--cpu-prof", "--cpu-prof-dir=/tmp/kwq/prof-bare"] : [],
  );
}
// "keyward" is keyward as built; "keyward-noredis-nometrics-nolog-noauth" (any of the suffixes) is
// keyward with those parts taken out, for bench/ablate.sh (bench/keyward-server.ts reads ABL_*).
for (const target of targets.filter((t) => t.startsWith("keyward"))) {
  const without = target.split("-").slice(1);
  const ablation: Record<string, string> = {};
  for (const part of without) ablation[`ABL_${part.toUpperCase()}`] = "1";
  servers[target] = await startServer(
    "keyward-server",
    {
      ...keywardBenchEnv(databaseUrl, prefix),
      UPSTREAM_URL: `http://127.0.0.1:${up.port}`,
      ...(without.includes("nolog") ? { LOG_LEVEL: "warn" } : {}),
      ...ablation,
    },
    prof ? ["--cpu-prof", `--cpu-prof-dir=/tmp/kwq/prof-${target}`] : [],
  );
}
const runs: Record<string, Array<{ rps: number; cpu: number }>> = {};
const ratios: Record<string, number[]> = {};
const paired = process.env.PAIRED === "1" && targets.includes("bare");
for (const path of paths) {
  const post = path.includes("chat");
  const optsFor = (port: number) =>
    ({
      url: `http://127.0.0.1:${port}${path}`,
      method: post ? "POST" : "GET",
      body: post
        ? JSON.stringify({ model: "vllm-primary", messages: [{ role: "user", content: "Hello!" }] })
        : undefined,
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
      connections: 32,
    }) as const;
  for (const server of Object.values(servers)) await autocannon({ ...optsFor(server.port), duration: 2 });
  const measure = async (name: string) => {
    const server = servers[name];
    if (!server) throw new Error(`no server ${name}`);
    const c0 = cpuMs(server.child.pid);
    const r = await autocannon({ ...optsFor(server.port), duration: seconds });
    const cpu = ((cpuMs(server.child.pid) - c0) * 1000) / r.requests.total;
    const key = `${name}\t${path}`;
    runs[key] ??= [];
    runs[key].push({ rps: r.requests.average, cpu });
    console.log(
      `${name}\t${path}\trps ${r.requests.average.toFixed(0)}\tcpu ${cpu.toFixed(0)} µs/req\tp50 ${r.latency.p50} p99 ${r.latency.p99}\tbad ${r.non2xx + r.errors}`,
    );
    return r.requests.average;
  };
  for (let i = 0; i < reps; i++) {
    for (const name of Object.keys(servers)) {
      if (!paired) {
        await measure(name);
        continue;
      }
      // Paired: each target right after a bare-proxy run of its own, and compared with that run, so
      // that the machine's drift from one minute to the next falls on both sides of the ratio alike.
      if (name === "bare") continue;
      const bareRps = await measure("bare");
      const rps = await measure(name);
      const key = `${name}\t${path}`;
      ratios[key] ??= [];
      ratios[key].push(rps / bareRps);
    }
  }
}
if (reps > 1) {
  console.log("\nmedians");
  for (const [key, list] of Object.entries(runs)) {
    const rps = median(list.map((r) => r.rps));
    const cpu = median(list.map((r) => r.cpu));
    const ratio = ratios[key] ? `\tpaired ratio ${(median(ratios[key]) * 100).toFixed(0)} %` : "";
    console.log(`${key}\trps ${rps.toFixed(0)}\tcpu ${cpu.toFixed(0)} µs/req${ratio}`);
  }
  if (process.env.ABLATION_OUT) writeFileSync(process.env.ABLATION_OUT, ablationReport());
}

/** The medians as a Markdown section, for bench/ablate.sh to put into BENCHMARKS.md. */
function ablationReport(): string {
  const takenOut: Record<string, string> = {
    noredis: "the Redis round trip (key markers, limit window, key use answered in memory)",
    nometrics: "the /v1 metrics",
    nolog: "the access line",
    noauth: "the key check, rate limit and use record (only the lane and the forwarder are left)",
  };
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
  const lines: string[] = [];
  for (const path of paths) {
    const bare = median((runs[`bare\t${path}`] ?? []).map((r) => r.rps));
    for (const [key, list] of Object.entries(runs)) {
      const [name, at] = key.split("\t");
      if (at !== path || name === undefined) continue;
      const rps = median(list.map((r) => r.rps));
      const without = name.split("-").slice(1);
      const parts = name === "bare" ? ["(the floor)"] : without.map((p) => takenOut[p] ?? p);
      const ratio = ratios[key] ? median(ratios[key]) : bare > 0 ? rps / bare : Number.NaN;
      lines.push(
        `| ${path} | ${name} | ${name === "keyward" ? "nothing" : parts.join("; ")} | ${rps.toFixed(0)} | ${Number.isNaN(ratio) ? "-" : `${(ratio * 100).toFixed(0)} %`} | ${median(list.map((r) => r.cpu)).toFixed(0)} |`,
      );
    }
  }
  const ceilings: string[] = [];
  for (const path of paths) {
    const bareCpu = median((runs[`bare\t${path}`] ?? []).map((r) => r.cpu));
    const bareRps = median((runs[`bare\t${path}`] ?? []).map((r) => r.rps));
    const shell = runs[`keyward-noredis-nometrics-nolog-noauth\t${path}`];
    const full = runs[`keyward\t${path}`];
    if (!shell || !full || bareRps === 0) continue;
    const shellCpu = median(shell.map((r) => r.cpu));
    const shellKey = `keyward-noredis-nometrics-nolog-noauth\t${path}`;
    const shellRatio = ratios[shellKey]
      ? median(ratios[shellKey])
      : median(shell.map((r) => r.rps)) / bareRps;
    const fullCpu = median(full.map((r) => r.cpu));
    ceilings.push(
      `- ${path}: the bare proxy ${bareCpu.toFixed(0)} µs of CPU per request; keyward's lane and forwarder alone (no check at all) ${shellCpu.toFixed(0)} µs, ${(shellRatio * 100).toFixed(0)} % of the bare proxy's req/s: the most this design could reach with checks that cost nothing; keyward as built ${fullCpu.toFixed(0)} µs, of which ${(fullCpu - shellCpu).toFixed(0)} µs are its checks, Redis round trip, metrics and access line.`,
    );
  }
  return [
    "## Where keyward's CPU per request goes",
    "",
    `\`bench/ablate.sh ${paths.join(",")} ${seconds}\` on ${new Date().toISOString()} (${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Node ${process.version}; load average at the end ${load}): the bare proxy, keyward as built, and keyward built from the same commit with parts taken out`,
    `(ABL_* read by \`bench/keyward-server.ts\`, src/gateway/ablation.ts), each in its own process on the same upstream stand-in; autocannon, 32 connections, ${reps} runs of ${seconds} s per target, medians.`,
    paired
      ? 'Each run of a target follows a run of the bare proxy of its own; "vs bare" is the median of those paired ratios.'
      : 'Targets alternate; "vs bare" is the ratio of the medians.',
    "Each row is its own process, measured in turn on a shared 2-core VM: the same row can move by a quarter or more from one run of",
    "this script to the next, so the small steps between neighbouring rows are within the noise; the first and last rows are the point.",
    "",
    "| load | target | taken out | req/s | vs bare | CPU µs per request |",
    "|---|---|---|---|---|---|",
    ...lines,
    "",
    ...ceilings,
    "",
  ].join("\n");
}
for (const server of Object.values(servers)) server.child.kill("SIGTERM");
up.child.kill("SIGTERM");
await new Promise((r) => setTimeout(r, 1500));
// The run's keys (rate-limit windows, usage buffer, epoch) go with it.
const redis = connectRedis({ redisUrl: BENCH_REDIS_URL, redisTlsRejectUnauthorized: false });
const leftovers = await redis.keys(`${prefix}:*`);
if (leftovers.length > 0) await redis.del(...leftovers);
await redis.quit();
process.exit(0);
