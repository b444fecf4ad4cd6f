import { startUpstreamStub } from "../test/support/upstream-stub.js";

// The upstream stand-in in its own process, so that its CPU is not counted against either proxy.
const stub = await startUpstreamStub({ record: false });
process.send?.({ ready: true, port: stub.port });
process.on("SIGTERM", () => void stub.close().then(() => process.exit(0)));
