/**
 * Polls `probe` until it returns a truthy value and returns that value: the one way tests wait for
 * something another process or a queue does (never a sleep on luck). Fails naming `what` after
 * `timeoutMs`; a probe that throws fails at once.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
