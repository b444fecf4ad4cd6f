import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

// Secrets never reach a log line: these paths are censored wherever they appear.
export const redactPaths = [
  "req.headers.authorization",
  "req.headers['x-api-key']",
  "req.headers.cookie",
  "res.headers['set-cookie']",
  "*.password",
  "*.current_password",
  "*.new_password",
  "*.token",
  "*.secret",
  "*.apiKey",
];

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
    destination,
  );
}
