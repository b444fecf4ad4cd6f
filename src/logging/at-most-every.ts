// Connection errors repeat for as long as an outage lasts (BullMQ reports every reconnect attempt, a
// few a second across its connections): one line per source per window is enough to see the outage,
// with the number of repeats held back since the last line.

/** A log call that writes at most once per `windowMs`; a line after a quiet spell says how many it held back. */
export function atMostEvery(
  windowMs: number,
  write: (fields: Record<string, unknown>) => void,
  now: () => number = Date.now,
): (fields: Record<string, unknown>) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let heldBack = 0;
  return (fields) => {
    const at = now();
    if (at - lastAt < windowMs) {
      heldBack++;
      return;
    }
    lastAt = at;
    write(heldBack > 0 ? { ...fields, repeats_held_back: heldBack } : fields);
    heldBack = 0;
  };
}

/** How often one source's connection error is logged during an outage. */
export const CONNECTION_ERROR_LOG_MS = 60_000;
