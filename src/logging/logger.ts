import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

// Secrets never reach a log line: these fields are censored at the top level of a log call, the
// common ones also one level down (pino's paths have no recursive wildcard, and each wildcard path
// costs time on every line), and request or response headers wherever they sit.
const SECRET_FIELDS = ["password", "current_password", "new_password", "token", "secret", "apiKey"];
const TOP_LEVEL_ONLY = ["passwordHash", "sessionToken", "upstreamApiKey", "resendApiKey", "metricsToken"];
const SECRET_HEADERS = [".authorization", "['x-api-key']", ".cookie", "['set-cookie']"];

export const redactPaths = [
  ...SECRET_FIELDS,
  ...TOP_LEVEL_ONLY,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_HEADERS.map((h) => `headers${h}`),
  ...SECRET_HEADERS.map((h) => `*.headers${h}`),
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
