import type { z } from "zod";
import {
  CreateKeyBody,
  KeyIdParams,
  KeyListResponse,
  KeyResponse,
  KeyWithSecretResponse,
  ListKeysQuery,
  RenameKeyBody,
  RotateKeyBody,
  RotateKeyResponse,
  UsageQuery,
} from "../../keys/key-schemas.js";
import { KeyUsageResponse } from "../../usage/usage-schemas.js";
import { errorResponse, jsonBody, registry } from "../openapi-registry.js";

// The /admin/keys paths in the OpenAPI document, with the schemas the routes validate with.
registerKeyPaths();

function registerKeyPaths(): void {
  const security = [{ session: [] }];
  const ok = (description: string, schema: z.ZodType) => ({ description, ...jsonBody(schema) });
  const common = { 401: errorResponse("No valid console session") };
  const notFound = { 404: errorResponse("No such key for this account") };
  registry.registerPath({
    method: "post",
    path: "/admin/keys",
    summary: "Create an API key; the full key is returned only here",
    security,
    request: { body: jsonBody(CreateKeyBody) },
    responses: {
      201: ok("The key and its secret", KeyWithSecretResponse),
      400: errorResponse("Invalid body"),
      ...common,
      403: errorResponse("email_not_verified"),
      409: errorResponse("key_limit_reached"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/admin/keys",
    summary: "List keys, newest first",
    security,
    request: { query: ListKeysQuery },
    responses: { 200: ok("A page of keys", KeyListResponse), 400: errorResponse("Invalid query"), ...common },
  });
  registry.registerPath({
    method: "get",
    path: "/admin/keys/{id}",
    summary: "Get a key",
    security,
    request: { params: KeyIdParams },
    responses: { 200: ok("The key", KeyResponse), ...common, ...notFound },
  });
  registry.registerPath({
    method: "patch",
    path: "/admin/keys/{id}",
    summary: "Rename a key",
    security,
    request: { params: KeyIdParams, body: jsonBody(RenameKeyBody) },
    responses: {
      200: ok("The renamed key", KeyResponse),
      400: errorResponse("Invalid body"),
      ...common,
      ...notFound,
      409: errorResponse("key_revoked"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/admin/keys/{id}/revoke",
    summary: "Revoke a key, at once and for good (idempotent)",
    security,
    request: { params: KeyIdParams },
    responses: {
      200: ok("The revoked key", KeyResponse),
      ...common,
      ...notFound,
      503: errorResponse("Redis unavailable; nothing changed"),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/admin/keys/{id}/rotate",
    summary: "Replace a key with a new one; the previous key works until the grace period ends",
    security,
    request: { params: KeyIdParams, body: jsonBody(RotateKeyBody) },
    responses: {
      201: ok("The new key, its secret and the previous key", RotateKeyResponse),
      400: errorResponse("Invalid body"),
      ...common,
      ...notFound,
      409: errorResponse("key_revoked, key_expired or key_limit_reached"),
      503: errorResponse("Redis unavailable; nothing changed"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/admin/keys/{id}/usage",
    summary: "Requests and tokens per UTC day, oldest first, zero-filled, each day split by model",
    security,
    request: { params: KeyIdParams, query: UsageQuery },
    responses: {
      200: ok("Daily usage", KeyUsageResponse),
      400: errorResponse("Invalid query"),
      ...common,
      ...notFound,
    },
  });
}
