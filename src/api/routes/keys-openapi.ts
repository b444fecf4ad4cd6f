import { z } from "zod";
import type { ErrorCode } from "../../errors/app-error.js";
import { IDEMPOTENCY_RETENTION_HOURS } from "../../idempotency/answer-once.js";
import { IdempotencyKeyValue } from "../../idempotency/idempotent-request.js";
import {
  CreateKeyBody,
  KeyIdParams,
  KeyListResponse,
  KeyResponse,
  KeyWithSecretResponse,
  ListKeysQuery,
  RotateKeyBody,
  RotateKeyResponse,
  UpdateKeyBody,
  UsageQuery,
} from "../../keys/key-schemas.js";
import { KeyUsageResponse } from "../../usage/usage-schemas.js";
import { IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER } from "../idempotency-key.js";
import {
  errorResponses,
  jsonBody,
  registry,
  requestBody,
  SESSION_ERRORS,
  sessionSecurity,
  sessionWriteErrors,
} from "../openapi-registry.js";

// The /admin/keys paths in the OpenAPI document, with the schemas the routes validate with.

const IdempotencyHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER]: IdempotencyKeyValue.optional().meta({
    description: `Makes a retry safe: the same value (1 to 255 visible ASCII characters; a new UUID per request, say) sent again by this account within ${IDEMPOTENCY_RETENTION_HOURS} hours with the same body answers the first call's status and body, secret included, marked \`${REPLAYED_HEADER}: true\`, and changes nothing. Sent with another body or route: 409 \`idempotency_key_reused\`. An error answer is not kept: the call then runs again.`,
    example: "5d2c8c3e-6f7a-4a44-9d1e-1b0f0c9e7a51",
  }),
});

/** A call's success answer, which a replay repeats with Idempotent-Replayed: true. */
function replayable(description: string, schema: z.ZodType) {
  return {
    description,
    headers: {
      [REPLAYED_HEADER]: {
        description: `\`true\` when this is the stored answer to an earlier call with the same ${IDEMPOTENCY_KEY_HEADER}; absent otherwise.`,
        schema: { type: "string" as const, enum: ["true"] },
      },
    },
    ...jsonBody(schema),
  };
}

registerKeyPaths();

function registerKeyPaths(): void {
  const security = sessionSecurity;
  const tags = ["keys"];
  const ok = (description: string, schema: z.ZodType) => ({ description, ...jsonBody(schema) });
  const read = (...codes: ErrorCode[]) => errorResponses([...SESSION_ERRORS, ...codes]);
  const write = (...codes: ErrorCode[]) => sessionWriteErrors(codes);
  registry.registerPath({
    method: "post",
    path: "/admin/keys",
    operationId: "createKey",
    summary: "Create an API key; the full key is returned only here",
    tags,
    security,
    request: { headers: IdempotencyHeaders, body: requestBody(CreateKeyBody) },
    responses: {
      201: replayable("The key and its secret (Cache-Control: no-store)", KeyWithSecretResponse),
      ...write("validation_failed", "email_not_verified", "key_limit_reached", "idempotency_key_reused"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/admin/keys",
    operationId: "listKeys",
    summary: "List keys, newest first",
    tags,
    security,
    request: { query: ListKeysQuery },
    responses: { 200: ok("A page of keys", KeyListResponse), ...read("validation_failed", "invalid_cursor") },
  });
  registry.registerPath({
    method: "get",
    path: "/admin/keys/{id}",
    operationId: "getKey",
    summary: "Get a key",
    tags,
    security,
    request: { params: KeyIdParams },
    responses: { 200: ok("The key", KeyResponse), ...read("not_found") },
  });
  registry.registerPath({
    method: "patch",
    path: "/admin/keys/{id}",
    operationId: "updateKey",
    summary: "Rename a key, change the models it may use or its token limit",
    tags,
    security,
    request: { params: KeyIdParams, body: requestBody(UpdateKeyBody) },
    responses: {
      200: ok("The updated key", KeyResponse),
      ...write("validation_failed", "not_found", "key_revoked"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/admin/keys/{id}/revoke",
    operationId: "revokeKey",
    summary: "Revoke a key, at once and for good (idempotent)",
    tags,
    security,
    request: { params: KeyIdParams },
    responses: { 200: ok("The revoked key", KeyResponse), ...write("validation_failed", "not_found") },
  });
  registry.registerPath({
    method: "post",
    path: "/admin/keys/{id}/rotate",
    operationId: "rotateKey",
    summary: "Replace a key with a new one; the previous key works until the grace period ends",
    description: "The body may be omitted: the grace period is then 86400 seconds (24 hours).",
    tags,
    security,
    request: { params: KeyIdParams, headers: IdempotencyHeaders, body: jsonBody(RotateKeyBody) },
    responses: {
      201: replayable(
        "The new key, its secret and the previous key (Cache-Control: no-store)",
        RotateKeyResponse,
      ),
      ...write(
        "validation_failed",
        "not_found",
        "key_revoked",
        "key_expired",
        "key_rotated",
        "key_limit_reached",
        "idempotency_key_reused",
      ),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/admin/keys/{id}/usage",
    operationId: "getKeyUsage",
    summary: "Requests and tokens per UTC day, oldest first, zero-filled, each day split by model",
    tags,
    security,
    request: { params: KeyIdParams, query: UsageQuery },
    responses: { 200: ok("Daily usage", KeyUsageResponse), ...read("validation_failed", "not_found") },
  });
}
