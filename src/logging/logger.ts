import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

// Secrets never reach a log line: these fields are censored at the top level of a log call and one
// level down (pino's paths have no recursive wildcard), as are request and response headers.
const SECRET_FIELDS = [
  "password",
  "current_password",
  "new_password",
  "passwordHash",
  "token",
  "sessionToken",
  "secret",
  "apiKey",
  "upstreamApiKey",
  "resendApiKey",
  "metricsToken",
];
const SECRET_HEADERS = ["authorization", "['x-api-key']", "cookie", "['set-cookie']"];
const header = (h: string) => (h.startsWith("[") ? h : `.${h}`);

export const redactPaths = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_HEADERS.map((h) => `headers${header(h)}`),
  ...SECRET_HEADERS.map((h) => `*.headers${header(h)}`),
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
