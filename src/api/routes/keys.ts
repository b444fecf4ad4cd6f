import { type Request, type RequestHandler, type Response, Router } from "express";
import { z } from "zod";
import { AppError, serviceUnavailable } from "../../errors/app-error.js";
import { createApiKey } from "../../keys/create-key.js";
import { findApiKey, listApiKeys } from "../../keys/key-queries.js";
import {
  CreateKeyBody,
  KEY_ID_PATTERN,
  ListKeysQuery,
  MAX_ACTIVE_KEYS,
  RotateKeyBody,
  UpdateKeyBody,
  UsageQuery,
} from "../../keys/key-schemas.js";
import { type ApiKeyRow, toKeyJson } from "../../keys/key-view.js";
import { ALL_PERMISSIONS } from "../../keys/permissions.js";
import { KeyChangeUnpublished } from "../../keys/publish-key-change.js";
import { revokeApiKey } from "../../keys/revoke-key.js";
import { rotateApiKey } from "../../keys/rotate-key.js";
import { updateApiKey } from "../../keys/update-key.js";
import { ceilingsOfTier } from "../../tiers/tiers.js";
import { keyUsageByDay } from "../../usage/usage-report.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { respondOnce } from "../idempotency-key.js";
import { checkCursor } from "../pagination.js";
import { invalidField } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clientContext, requireSession } from "../session-auth.js";
import { parseInput, parseQuery } from "../validate.js";
import "./keys-openapi.js";

const NoBody = z.strictObject({});

/** The key routes under /admin/keys, all behind a console session. */
export function keysRouter(deps: AppDeps): Router {
  const router = Router();
  router.use(requireSession(deps));
  const { db } = deps.database;
  // Where a key change is written: PostgreSQL, and Redis for the marker every process reads.
  const keyStores = { db, redis: deps.redis, redisPrefix: deps.config.redisPrefix };
  const json = (res: Response, key: ApiKeyRow) =>
    toKeyJson(key, deps.clock.now(), ceilingsOfTier(deps.config, authOf(res).account.tier));

  const create: RequestHandler = async (req, res) => {
    const { account } = authOf(res);
    if (!account.emailVerifiedAt) {
      throw new AppError("email_not_verified", "Verify your email address before creating API keys");
    }
    const body = parseInput(CreateKeyBody, req.body);
    const now = deps.clock.now();
    await respondOnce(
      req,
      res,
      { db, serverKey: deps.config.idempotencyEncryptionKey, now },
      { accountId: account.id, route: "POST /admin/keys", path: "/admin/keys", body },
      async (tx) => {
        const result = await createApiKey(tx, {
          accountId: account.id,
          name: body.name,
          permissions: body.permissions ?? ALL_PERMISSIONS,
          expiresAt: body.expires_at ? new Date(body.expires_at) : null,
          rateLimitPerMinute: body.rate_limit_per_minute ?? null,
          tokenLimitPerMinute: body.token_limit_per_minute ?? null,
          models: body.models ?? null,
          tierLimits: ceilingsOfTier(deps.config, account.tier),
          now,
          context: clientContext(req),
        });
        // Thrown inside the transaction: a refusal rolls back, and is not kept for a replay.
        if (!result.ok) throw changeRefused(req, result);
        return { status: 201, body: { key: json(res, result.key), secret: result.secret } };
      },
    );
  };

  const list: RequestHandler = async (req, res) => {
    const query = parseQuery(ListKeysQuery, req.query);
    checkCursor(query.cursor, KEY_ID_PATTERN);
    const page = await listApiKeys(db, {
      accountId: authOf(res).account.id,
      ...query,
      now: deps.clock.now(),
    });
    res.json({ data: page.rows.map((k) => json(res, k)), next_cursor: page.nextCursor });
  };

  const get: RequestHandler = async (req, res) => {
    res.json({ key: json(res, await ownKey(req, res)) });
  };

  const update: RequestHandler = async (req, res) => {
    const keyId = keyIdOf(req);
    const body = parseInput(UpdateKeyBody, req.body);
    const { account } = authOf(res);
    const result = await updateApiKey(keyStores, {
      accountId: account.id,
      keyId,
      name: body.name,
      models: body.models,
      tokenLimitPerMinute: body.token_limit_per_minute,
      tierTokenLimit: ceilingsOfTier(deps.config, account.tier).tokensPerMinute,
      now: deps.clock.now(),
      context: clientContext(req),
      signal: deadlineOf(res),
    });
    if (!result.ok) throw changeRefused(req, result);
    res.json({ key: json(res, result.key) });
  };

  const revoke: RequestHandler = async (req, res) => {
    const keyId = keyIdOf(req);
    parseInput(NoBody, req.body);
    const result = await revokeApiKey(keyStores, {
      accountId: authOf(res).account.id,
      keyId,
      now: deps.clock.now(),
      context: clientContext(req),
      signal: deadlineOf(res),
    });
    if (!result.ok) throw changeRefused(req, result);
    res.json({ key: json(res, result.key) });
  };

  const rotate: RequestHandler = async (req, res) => {
    const keyId = keyIdOf(req);
    const body = parseInput(RotateKeyBody, req.body);
    const accountId = authOf(res).account.id;
    const now = deps.clock.now();
    await respondOnce(
      req,
      res,
      { db, serverKey: deps.config.idempotencyEncryptionKey, now },
      { accountId, route: "POST /admin/keys/:id/rotate", path: `/admin/keys/${keyId}/rotate`, body },
      async (tx) => {
        const result = await rotateApiKey(tx, keyStores, {
          accountId,
          keyId,
          graceSeconds: body.grace_period_seconds,
          now,
          context: clientContext(req),
          signal: deadlineOf(res),
        }).catch((err: unknown) => {
          if (err instanceof KeyChangeUnpublished)
            throw changeRefused(req, { reason: "unavailable", cause: err.cause });
          throw err;
        });
        // Thrown inside the transaction, which rotateApiKey needs: a refusal rolls back, and is not kept.
        if (!result.ok) throw changeRefused(req, result);
        const rotated = {
          key: json(res, result.key),
          secret: result.secret,
          previous: json(res, result.previous),
        };
        return { status: 201, body: rotated };
      },
    );
  };

  const usage: RequestHandler = async (req, res) => {
    const key = await ownKey(req, res);
    const query = parseQuery(UsageQuery, req.query);
    res.json({ data: await keyUsageByDay(db, { keyId: key.id, days: query.days, now: deps.clock.now() }) });
  };

  async function ownKey(req: Request, res: Response): Promise<ApiKeyRow> {
    const key = await findApiKey(db, authOf(res).account.id, keyIdOf(req));
    if (!key) throw keyNotFound();
    return key;
  }

  route(router, "/", { get: list, post: create });
  route(router, "/:id", { get, patch: update });
  route(router, "/:id/revoke", { post: revoke });
  route(router, "/:id/rotate", { post: rotate });
  route(router, "/:id/usage", { get: usage });
  return router;
}

/** A malformed id is answered like an unknown one, or another account's: nothing to learn from it. */
function keyIdOf(req: Request): string {
  const id = String(req.params.id ?? "");
  if (!KEY_ID_PATTERN.test(id)) throw keyNotFound();
  return id;
}

const keyNotFound = () => new AppError("not_found", "No such API key");

type RefusedChange =
  | {
      reason:
        | "not_found"
        | "revoked"
        | "expired"
        | "already_rotated"
        | "key_limit"
        | "expiry_not_in_future"
        | "unavailable";
      cause?: unknown;
    }
  | { reason: "above_tier_limit" | "above_tier_token_limit"; tierLimit: number };

/** The error for a creation, rename, revocation or rotation that did not happen, one answer per reason. */
function changeRefused(req: Request, refused: RefusedChange): AppError {
  switch (refused.reason) {
    case "not_found":
      return keyNotFound();
    case "revoked":
      return new AppError("key_revoked", "This key has been revoked and can no longer be changed");
    case "expired":
      return new AppError("key_expired", "This key has expired; create a new key");
    case "already_rotated":
      return new AppError("key_rotated", "This key has already been rotated; rotate its replacement instead");
    case "expiry_not_in_future":
      return invalidField("expires_at", "must be in the future");
    case "above_tier_limit":
      return invalidField(
        "rate_limit_per_minute",
        `may not exceed your tier's limit of ${refused.tierLimit}`,
      );
    case "above_tier_token_limit":
      return invalidField(
        "token_limit_per_minute",
        `may not exceed your tier's limit of ${refused.tierLimit}`,
      );
    case "key_limit":
      return new AppError(
        "key_limit_reached",
        `An account may have at most ${MAX_ACTIVE_KEYS} active keys; revoke one first`,
      );
    case "unavailable":
      req.log?.warn({ err: refused.cause }, "key change could not be published to Redis; change rolled back");
      return serviceUnavailable("Key changes are unavailable right now; nothing was changed");
  }
}
