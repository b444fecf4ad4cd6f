import type { IncomingHttpHeaders } from "node:http";
import { bearerToken } from "../http/bearer.js";

/**
 * The key a /v1 request presents: `X-API-Key` wins over `Authorization: Bearer` when both are sent.
 * Returns undefined when neither carries anything; what it returns is checked for shape elsewhere.
 */
export function extractApiKey(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers["x-api-key"];
  const fromHeader = Array.isArray(direct) ? direct[0] : direct;
  if (fromHeader !== undefined && fromHeader.trim() !== "") return fromHeader.trim();
  const authorization = headers.authorization;
  if (!authorization) return undefined;
  const token = bearerToken(authorization);
  if (token !== null) return token;
  const raw = authorization.trim();
  // "Bearer" with nothing after it is a missing key; "Basic …" or a malformed header is a key that
  // cannot be valid, not a missing one.
  return raw === "" || raw.toLowerCase() === "bearer" ? undefined : raw;
}
