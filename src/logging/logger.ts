import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

// Secrets never reach a log line: these fields are censored at the top level of a log call, the
// common ones also one level down (pino's paths have no recursive wildcard, and each wildcard path
// costs time on every line), and request or response headers wherever they sit.
const SECRET_FIELDS = [
  "password",
  "current_password",
  "new_password",
  "token",
  "secret",
  "apiKey",
  "recovery_code",
  "recovery_codes",
  "otpauth_uri",
];
const TOP_LEVEL_ONLY = [
  "passwordHash",
  "sessionToken",
  "upstreamApiKey",
  "resendApiKey",
  "metricsToken",
  "totpEncryptionKey",
];
// An Idempotency-Key opens the answer stored for it, an API key's secret (src/idempotency).
const SECRET_HEADERS = [
  ".authorization",
  "['x-api-key']",
  ".cookie",
  "['set-cookie']",
  "['idempotency-key']",
];

export const redactPaths = [
  ...SECRET_FIELDS,
  ...TOP_LEVEL_ONLY,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_HEADERS.map((h) => `headers${h}`),
  ...SECRET_HEADERS.map((h) => `*.headers${h}`),
];

/**
 * The process's logger, on stdout unless told otherwise. stdout is written synchronously: pino's
 * asynchronous hand-off costs far more CPU per /v1 request than a plain write (BENCHMARKS.md). The
 * price: a log reader that stops reading holds the process until it reads again, rather than lines
 * piling up in memory; no line waits in a buffer, and none is lost at exit.
 */
export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: options.level ?? "info",
      name: options.name,
      redact: { paths: redactPaths, censor: "[redacted]" },
      base: { pid: process.pid },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

const accessLoggers = new WeakMap<Logger, Logger>();

/**
 * The logger for the per-request access line alone: the same destination, level and bindings (name,
 * pid) as `logger`, without its redaction pass, which could change nothing on that line's fixed
 * fields (none is a secret's name) and was most of its cost. Its lines are written once per
 * event-loop turn (see turnBuffered). Everything else, `req.log` included, goes through `logger`.
 */
export function accessLoggerFor(logger: Logger): Logger {
  let access = accessLoggers.get(logger);
  if (!access) {
    const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
    access = pino(
      { level: logger.level, base: { pid: process.pid, ...logger.bindings() } },
      turnBuffered(destination ?? pino.destination({ dest: 1, sync: true })),
    );
    accessLoggers.set(logger, access);
  }
  return access;
}

const unflushed = new Set<() => void>();
process.once("exit", () => {
  for (const flush of unflushed) flush();
});

/**
 * Collects the lines written during one event-loop turn and hands them to `destination` in one write
 * when the turn ends (or the process exits): under load, one write (and one wake-up of whatever reads
 * the logs) carries the access lines of many requests, and no line waits longer than its turn. Lines
 * of other loggers may land before lines of the same turn written here; each line has its own time.
 */
export function turnBuffered(destination: DestinationStream): DestinationStream {
  let pending = "";
  const flush = () => {
    unflushed.delete(flush);
    if (pending === "") return;
    const lines = pending;
    pending = "";
    destination.write(lines);
  };
  return {
    write(line: string) {
      if (pending === "") {
        unflushed.add(flush);
        setImmediate(flush);
      }
      pending += line;
    },
  };
}
