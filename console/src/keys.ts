import type { Key } from "./api/client";
import { apiRoot } from "./router";

// How a key reads everywhere in the console.

export type DisplayStatus = "active" | "revoked" | "expired" | "rotating";

/** Only the last 4 characters of a key are ever displayed (the full key is shown once, at creation). */
export function maskedKey(key: Pick<Key, "prefix" | "last4">): string {
  return `${key.prefix}…${key.last4}`;
}

/**
 * "rotating": an active key that a newer key replaced and that still works until its grace period
 * ends (its expires_at). The API reports such a key as active; its successor names it in rotated_from.
 */
export function displayStatus(key: Key, successorOf: (id: string) => boolean): DisplayStatus {
  return key.status === "active" && successorOf(key.id) ? "rotating" : key.status;
}

/** The /v1 address of this deployment, as the snippets and the empty state show it. */
export function v1Url(): string {
  return `${apiRoot()}/v1`;
}
