import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { connectRedis } from "../src/redis/client.js";
import { prepareBenchDatabase } from "./bench-database.js";
import { startServer } from "./processes.js";

// A quick look at keyward alone while working on its hot path (not `npm run bench`): the upstream
// stand-in and keyward's server as bench/run.ts starts them, then autocannon (32 connections) on each
// path, REPS times, printing req/s, CPU µs per request (from /proc) and latency. `prof` starts keyward
// with --cpu-prof (profiles in /tmp/kwq/prof, written when it exits).
// Usage: npx tsx bench/quick.ts /v1/models,/healthz [seconds] [prof]   (REPS=3 for three repeats)
const PG = "postgres://postgres@127.0.0.1:5432";
const DB = "keyward_quick";
const paths = (process.argv[2] ?? "/v1/models").split(",");
const seconds = Number(process.argv[3] ?? 6);
const prof = process.argv[4] === "prof";
const reps = Number(process.env.REPS ?? 2);
function cpuMs(pid?: number) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) * 10;
}
const { databaseUrl, secret } = await prepareBenchDatabase(PG, DB);
const prefix = `kwq-${randomBytes(3).toString("hex")}`;
const up = await startServer("upstream", {});
const kw = await startServer(
  "keyward-server",
  {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    DATABASE_SSL: "off",
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: prefix,
    UPSTREAM_URL: `http://127.0.0.1:${up.port}`,
    RATE_LIMIT_ENTERPRISE: "1000000000",
    LOG_LEVEL: "info",
  },
  prof ? ["--cpu-prof", "--cpu-prof-dir=/tmp/kwq/prof"] : [],
);
for (const path of paths) {
  const post = path.includes("chat");
  const opts = {
    url: `http://127.0.0.1:${kw.port}${path}`,
    method: post ? "POST" : "GET",
    body: post
      ? JSON.stringify({ model: "vllm-primary", messages: [{ role: "user", content: "Hello!" }] })
      : undefined,
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    connections: 32,
  } as const;
  await autocannon({ ...opts, duration: 2 });
  for (let i = 0; i < reps; i++) {
    const c0 = cpuMs(kw.child.pid);
    const r = await autocannon({ ...opts, duration: seconds });
    const cpu = ((cpuMs(kw.child.pid) - c0) * 1000) / r.requests.total;
    console.log(
      `${path}\trps ${r.requests.average.toFixed(0)}\tcpu ${cpu.toFixed(0)} µs/req\tp50 ${r.latency.p50} p99 ${r.latency.p99}\tbad ${r.non2xx + r.errors}`,
    );
  }
}
kw.child.kill("SIGTERM");
up.child.kill("SIGTERM");
await new Promise((r) => setTimeout(r, 1500));
// The run's keys (rate-limit windows, usage buffer, epoch) go with it.
const redis = connectRedis({ redisUrl: "redis://127.0.0.1:6379", redisTlsRejectUnauthorized: false });
const leftovers = await redis.keys(`${prefix}:*`);
if (leftovers.length > 0) await redis.del(...leftovers);
await redis.quit();
process.exit(0);
