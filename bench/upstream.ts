import { startUpstreamStub } from "../test/support/upstream-stub.js";

// The upstream stand-ins in their own process, so that their CPU is not counted against either proxy.
// STUB_MODELS: a JSON list with one entry per stand-in, the models it serves (default: one stand-in
// serving vllm-primary); STREAM_INTERVAL_MS: the time between a stream's chunks after the first.
const models = JSON.parse(process.env.STUB_MODELS ?? '[["vllm-primary"]]') as string[][];
const streamIntervalMs = Number(process.env.STREAM_INTERVAL_MS ?? 0);
const stubs = await Promise.all(
  models.map((served) => startUpstreamStub({ record: false, models: served, streamIntervalMs })),
);
process.send?.({ ready: true, port: stubs[0]?.port, ports: stubs.map((s) => s.port) });
process.on("SIGTERM", () => void Promise.all(stubs.map((s) => s.close())).then(() => process.exit(0)));
