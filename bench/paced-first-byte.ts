import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { prepareBenchDatabase } from "./bench-database.js";
import { keywardBenchEnv, median, startServer } from "./processes.js";
import { percentile, type Run, run } from "./token-streams.js";

// Where the paced first byte of token metering's streamed run goes (not `npm run bench`): the same
// streams as bench/token-streams.ts, one request every PACE ms, through the bare proxy, keyward as
// built, and keyward with the parts named in ABL taken out (ABL_* of bench/keyward-server.ts:
// NOREDIS answers key markers and limit windows from memory, so a request waits on no Redis round
// trip). Each keyward run follows a bare-proxy run of its own; prints every run and the median of the
// paired p99 gaps.
// Usage: npx tsc -p tsconfig.bench.json && node scripts/copy-assets.mjs dist-bench &&
//   ABL=NOREDIS ROUNDS=5 node dist-bench/bench/paced-first-byte.js
const streams = Number(process.env.STREAMS ?? 1000);
const chunks = Number(process.env.CHUNKS ?? 200);
const paceMs = Number(process.env.PACE ?? 10);
const rounds = Number(process.env.ROUNDS ?? 5);
const ablated = (process.env.ABL ?? "NOREDIS").split(",").filter(Boolean);
const PARTS: Record<string, string> = {
  NOREDIS: "the Redis round trip",
  NOMETRICS: "the /v1 metrics and access line",
  NOAUTH: "the key check, limits and use record",
};

const pgBase = process.env.BENCH_PG_BASE ?? "postgres://postgres@127.0.0.1:5432";
const { databaseUrl, secret } = await prepareBenchDatabase(pgBase, "keyward_bench");
type Server = Awaited<ReturnType<typeof startServer>>;
const started: Server[] = [];
/** Starts a server and keeps it to be stopped at the end, however the run ends. */
async function start(...args: Parameters<typeof startServer>): Promise<Server> {
  const server = await startServer(...args);
  started.push(server);
  return server;
}
const shape = { streams, chunks, paceMs };
const show = (name: string, r: Run) =>
  console.log(
    `${name}: first byte p50 ${percentile(r.ttfb, 50).toFixed(1)} ms, p99 ${percentile(r.ttfb, 99).toFixed(1)} ms; CPU ${r.cpuUsPerChunk.toFixed(1)} µs per chunk; non-200 ${r.bad}`,
  );
try {
  const upstream = await start("upstream", { STREAM_INTERVAL_MS: "100" });
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const keywardEnv = {
    ...keywardBenchEnv(databaseUrl, `kwpaced-${randomBytes(3).toString("hex")}`),
    UPSTREAM_URL: upstreamUrl,
  };
  const bare = await start("bare-proxy", { UPSTREAM_URL: upstreamUrl });
  const without = ablated.map((part) => PARTS[part] ?? part).join(", ");
  const variants = {
    keyward: await start("keyward-server", keywardEnv),
    [`keyward without ${without}`]: await start("keyward-server", {
      ...keywardEnv,
      ...Object.fromEntries(ablated.map((part) => [`ABL_${part}`, "1"])),
    }),
  };
  // Untimed: JIT, heaps and connections on both sides of each proxy.
  for (const target of [bare, ...Object.values(variants)]) await run(target, secret, shape);
  const gaps: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, target] of Object.entries(variants)) {
      const floor = await run(bare, secret, shape);
      const measured = await run(target, secret, shape);
      show(`round ${round}, bare proxy`, floor);
      show(`round ${round}, ${name}`, measured);
      gaps[name]?.push(percentile(measured.ttfb, 99) - percentile(floor.ttfb, 99));
    }
  }
  for (const [name, list] of Object.entries(gaps)) {
    const each = list.map((gap) => `${gap >= 0 ? "+" : ""}${gap.toFixed(1)}`).join(", ");
    console.log(
      `${name}: p99 over the bare proxy's, paired: ${each} ms; median ${median(list).toFixed(1)} ms`,
    );
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
  );
} finally {
  for (const server of started) server.child.kill();
}
process.exit(0);
