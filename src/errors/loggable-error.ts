// drizzle's DrizzleQueryError writes the query's parameters into its message, its stack and a
// `params` field, and pino's error serializer logs all three. Parameters can be password hashes,
// token hashes or email addresses, none of which belongs in a log line; the query text and the
// driver's own error say what went wrong without them.

interface QueryError extends Error {
  query: string;
  params: unknown[];
}

function isQueryError(err: unknown): err is QueryError {
  const e = err as Partial<QueryError> | null;
  return err instanceof Error && typeof e?.query === "string" && Array.isArray(e?.params);
}

/** PostgreSQL's SQLSTATE for an error, whether raised by postgres.js directly or wrapped by drizzle. */
export function postgresCodeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

/** The error to hand to the logger: a query error without its parameters, anything else as it is. */
export function loggableError(err: unknown): unknown {
  if (!isQueryError(err)) return err;
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  const safe = new Error(cause ? `Failed query: ${err.query}: ${cause}` : `Failed query: ${err.query}`);
  safe.name = "DatabaseQueryError";
  const frames = (err.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  safe.stack = [`${safe.name}: ${safe.message}`, ...frames].join("\n");
  return Object.assign(safe, { query: err.query, code: postgresCodeOf(err) });
}

/** The message of an error, for log lines that carry only the message. */
export function loggableMessage(err: unknown): string {
  const safe = loggableError(err);
  return safe instanceof Error ? safe.message : String(safe);
}
