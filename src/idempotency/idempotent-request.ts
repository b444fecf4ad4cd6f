import { hash } from "node:crypto";
import { z } from "zod";

// What identifies an idempotent request: the client's Idempotency-Key, scoped to its account, and a
// fingerprint of what it asked for, so that the key sent again with another request is told apart
// from a retry of the first one.

/**
 * 1 to 255 visible ASCII characters: a UUID fits, and so does any other client's scheme. The header is
 * checked with this schema, and the OpenAPI document describes it with the same one.
 */
export const IdempotencyKeyValue = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/);

export interface IdempotentRequest {
  accountId: string;
  /** The raw Idempotency-Key: stored only as a hash, and the key its answer is sealed under. */
  key: string;
  /** The route pattern, e.g. `POST /admin/keys/:id/rotate`. */
  route: string;
  fingerprint: string;
}

/**
 * SHA-256 of the method, the path and the parsed body with its members in a fixed order, so that a
 * retry that spells the same body differently (member order, spacing) is still the same request.
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return hash("sha256", JSON.stringify([method.toUpperCase(), path, canonical(body)]), "hex");
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const members = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(members.map(([k, v]) => [k, canonical(v)]));
}
