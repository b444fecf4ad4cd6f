import { Router } from "express";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { ChallengeBody, LoginBody } from "../../accounts/schemas.js";
import { AppError } from "../../errors/app-error.js";
import { logIn } from "../../sessions/login.js";
import { completeLoginChallenge } from "../../sessions/login-challenge.js";
import {
  EndSessionsQuery,
  endOtherSessions,
  endSession,
  listLiveSessions,
} from "../../sessions/session-list.js";
import { invalidateSession } from "../../sessions/sessions.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { invalidCode, rateLimited, secondFactorUnavailable } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clearSessionCookie, clientContext, clientIp, requireSession } from "../session-auth.js";
import { answerWithSession } from "../sign-in.js";
import { parseInput, parseQuery } from "../validate.js";
import "./sessions-openapi.js";

const SESSION_ID = /^ses_[0-9a-z]{26}$/;

/**
 * Console login (with its second-factor challenge) and logout, and the account's live sessions: list
 * them, end one or all others.
 */
export function sessionsRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();
  const session = requireSession(deps);

  route(router, "/sessions", {
    post: async (req, res) => {
      const body = parseInput(LoginBody, req.body);
      const result = await logIn(
        {
          db: deps.database.db,
          limits,
          now: deps.clock.now(),
          sessionTtlHours: deps.config.sessionTtlHours,
        },
        {
          email: body.email,
          password: body.password,
          ...clientContext(req),
          ip: clientIp(req),
          signal: deadlineOf(res),
        },
      );
      if (!result.ok) {
        switch (result.reason) {
          case "rate_limited":
            throw rateLimited(result.retryAfterSeconds);
          case "invalid_credentials":
            throw new AppError("invalid_credentials", "Incorrect email or password");
          case "email_not_verified":
            throw new AppError("email_not_verified", "Verify your email address before logging in");
          case "account_disabled":
            throw new AppError("account_disabled", "This account is disabled");
        }
      }
      if ("challenge" in result) {
        // A second factor is on: no session yet, only the challenge the code must answer.
        res.setHeader("Cache-Control", "no-store");
        res.status(200).json({
          challenge: { token: result.challenge.token, expires_at: result.challenge.expiresAt.toISOString() },
        });
        return;
      }
      await answerWithSession(deps, req, res, result);
    },
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
        parseQuery(EndSessionsQuery, req.query);
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
  });

  // Before /sessions/:id, which would otherwise claim it.
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

  route(router, "/sessions/current", {
    delete: [
      session,
      async (_req, res) => {
        await invalidateSession(deps.database.db, authOf(res).session.id);
        clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
    ],
  });

  route(router, "/sessions/:id", {
    delete: [
      session,
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
