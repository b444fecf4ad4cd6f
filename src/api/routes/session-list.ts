import { type RequestHandler, Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { AccountSchema } from "../../accounts/schemas.js";
import { AppError } from "../../errors/app-error.js";
import { completeLoginChallenge } from "../../sessions/login-challenge.js";
import {
  endOtherSessions,
  endSession,
  listLiveSessions,
  SessionSchema,
} from "../../sessions/session-list.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import {
  errorResponses,
  jsonBody,
  registry,
  requestBody,
  SESSION_ERRORS,
  sessionSecurity,
  WRITE_ERRORS,
} from "../openapi-registry.js";
import { invalidCode, rateLimited, secondFactorUnavailable } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clearSessionCookie, clientContext, clientIp, requireSession } from "../session-auth.js";
import { answerWithSession } from "../sign-in.js";
import { parseInput } from "../validate.js";

const token = z.string().min(1).max(512);
const ChallengeBody = z.union([
  z.strictObject({ token, code: z.string().min(1).max(32) }),
  z.strictObject({ token, recovery_code: z.string().min(1).max(64) }),
]);
const EndSessionsQuery = z.strictObject({
  others: z.literal("true", {
    error: "must be true: DELETE /admin/sessions ends every session but this one",
  }),
});
const SESSION_ID = /^ses_[0-9a-z]{26}$/;

/** GET /admin/sessions and DELETE /admin/sessions?others=true, for the route() that owns /sessions. */
export function sessionListHandlers(deps: AppDeps): Record<"get" | "delete", RequestHandler[]> {
  const session = requireSession(deps);
  return {
    get: [
      session,
      async (_req, res) => {
        const auth = authOf(res);
        const data = await listLiveSessions(deps.database.db, {
          accountId: auth.account.id,
          currentSessionId: auth.session.id,
          now: deps.clock.now(),
          limits: deps.config,
        });
        res.json({ data });
      },
    ],
    delete: [
      session,
      async (req, res) => {
        parseInput(EndSessionsQuery, req.query);
        const auth = authOf(res);
        await endOtherSessions(deps.database.db, {
          accountId: auth.account.id,
          keepSessionId: auth.session.id,
          now: deps.clock.now(),
          signal: deadlineOf(res),
          ...clientContext(req),
        });
        res.status(204).end();
      },
    ],
  };
}

/** POST /admin/sessions/challenge (the second step of a login) and DELETE /admin/sessions/:id. */
export function sessionChallengeRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();

  route(router, "/sessions/challenge", {
    post: async (req, res) => {
      const body = parseInput(ChallengeBody, req.body);
      const proof = "code" in body ? { code: body.code } : { recoveryCode: body.recovery_code };
      const result = await completeLoginChallenge(
        {
          db: deps.database.db,
          limits,
          totpKey: deps.config.totpEncryptionKey,
          now: deps.clock.now(),
          sessionTtlHours: deps.config.sessionTtlHours,
        },
        { token: body.token, proof, ...clientContext(req), ip: clientIp(req), signal: deadlineOf(res) },
      );
      if (!result.ok) {
        switch (result.reason) {
          case "invalid_token":
            throw new AppError(
              "invalid_token",
              "The login challenge is unknown, used or expired; log in again",
              {
                param: "token",
              },
            );
          case "invalid_code":
            throw invalidCode("code" in body ? "code" : "recovery_code");
          case "unavailable":
            throw secondFactorUnavailable();
          case "rate_limited":
            throw rateLimited(result.retryAfterSeconds);
        }
      }
      await answerWithSession(deps, req, res, result);
    },
  });

  route(router, "/sessions/:id", {
    delete: [
      requireSession(deps),
      async (req, res) => {
        const auth = authOf(res);
        const id = String(req.params.id);
        const ended =
          SESSION_ID.test(id) &&
          (await endSession(deps.database.db, {
            accountId: auth.account.id,
            sessionId: id,
            now: deps.clock.now(),
            signal: deadlineOf(res),
            ...clientContext(req),
          }));
        if (!ended) throw new AppError("not_found", "No such session");
        if (id === auth.session.id) clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
    ],
  });
  return router;
}

const SessionResponse = z.object({
  session: z.object({ token: z.string(), expires_at: z.string() }),
  account: AccountSchema,
});

registry.registerPath({
  method: "post",
  path: "/admin/sessions/challenge",
  operationId: "answerLoginChallenge",
  summary: "Second step of a login with a second factor: the challenge token and a code (or a recovery code)",
  tags: ["sessions"],
  request: { body: requestBody(ChallengeBody) },
  responses: {
    201: {
      description:
        "Logged in (Cache-Control: no-store; Set-Cookie: keyward_session), as POST /admin/sessions",
      ...jsonBody(SessionResponse),
    },
    ...errorResponses(
      [...WRITE_ERRORS, "validation_failed", "invalid_code", "invalid_token", "rate_limit_exceeded"],
      {
        400: "invalid_code counts towards the login limits, and 5 spend the challenge; invalid_token: unknown, expired (5 minutes), used or spent",
        429: "the login limits (Retry-After)",
      },
    ),
  },
});
registry.registerPath({
  method: "get",
  path: "/admin/sessions",
  operationId: "listSessions",
  summary: "The account's live sessions, newest first; `current` marks the one making the request",
  tags: ["sessions"],
  security: sessionSecurity,
  responses: {
    200: { description: "The sessions", ...jsonBody(z.object({ data: z.array(SessionSchema) })) },
    ...errorResponses(SESSION_ERRORS),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/sessions",
  operationId: "endOtherSessions",
  summary: "End every session of the account but this one (others=true is required)",
  tags: ["sessions"],
  security: sessionSecurity,
  request: { query: EndSessionsQuery },
  responses: {
    204: { description: "Every other session ended, on every web process" },
    ...errorResponses([...SESSION_ERRORS, ...WRITE_ERRORS, "validation_failed"]),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/sessions/{id}",
  operationId: "endSession",
  summary: "End one of the account's sessions (this one included: then the cookie is cleared too)",
  tags: ["sessions"],
  security: sessionSecurity,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    204: { description: "The session ended, on every web process" },
    ...errorResponses([...SESSION_ERRORS, ...WRITE_ERRORS, "not_found"], {
      404: "also for another account's session",
    }),
  },
});
