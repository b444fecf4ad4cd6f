// Lets the benchmark read a server's live memory over IPC: on {type: "heap"}, a full garbage
// collection (the server runs with --expose-gc) and then the bytes still held by JavaScript objects
// and by buffers outside the heap. Resident size cannot say this once a warm-up has grown the process:
// memory freed by one run is reused by the next, and its difference was as often negative as not.
export function answerHeapQueries(): void {
  process.on("message", (message: { type?: string }) => {
    if (message.type !== "heap") return;
    (globalThis as { gc?: () => void }).gc?.();
    const { heapUsed, external } = process.memoryUsage();
    process.send?.({ heap: heapUsed + external });
  });
}
