import type { IncomingHttpHeaders } from "node:http";

/**
 * The key a /v1 request presents: `X-API-Key` wins over `Authorization: Bearer` when both are sent.
 * Returns undefined when neither carries anything; what it returns is checked for shape elsewhere.
 */
export function extractApiKey(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers["x-api-key"];
  const fromHeader = Array.isArray(direct) ? direct[0] : direct;
  if (fromHeader !== undefined && fromHeader.trim() !== "") return fromHeader.trim();
  const authorization = headers.authorization;
  if (!authorization || /^Bearer$/i.test(authorization.trim())) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  // "Authorization: Basic …" or a malformed header is a key that cannot be valid, not a missing one.
  return match ? match[1] : authorization.trim() || undefined;
}
