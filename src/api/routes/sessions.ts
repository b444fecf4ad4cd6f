import { Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { AccountSchema, LoginBody } from "../../accounts/schemas.js";
import { AppError } from "../../errors/app-error.js";
import { logIn } from "../../sessions/login.js";
import { invalidateSession } from "../../sessions/sessions.js";
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
import { rateLimited } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clearSessionCookie, clientContext, clientIp, requireSession } from "../session-auth.js";
import { answerWithSession } from "../sign-in.js";
import { parseInput } from "../validate.js";
import { sessionListHandlers } from "./session-list.js";

/** Console login and logout. */
export function sessionsRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();

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
        { email: body.email, password: body.password, ...clientContext(req), ip: clientIp(req) },
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
    // GET (list) and DELETE ?others=true live with the session list; one route() owns the path's 405.
    ...sessionListHandlers(deps),
  });

  route(router, "/sessions/current", {
    delete: [
      requireSession(deps),
      async (_req, res) => {
        await invalidateSession(deps.database.db, authOf(res).session.id);
        clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
    ],
  });

  return router;
}

const LoginResponse = z.object({
  session: z.object({ token: z.string(), expires_at: z.string() }),
  account: AccountSchema,
});
const ChallengeResponse = z.object({
  challenge: z.object({
    token: z.string().meta({ description: "Send it with a code to POST /admin/sessions/challenge" }),
    expires_at: z.string(),
  }),
});

registry.registerPath({
  method: "post",
  path: "/admin/sessions",
  operationId: "createSession",
  summary: "Log in; the session token is returned and set as the keyward_session cookie",
  description:
    "The cookie is HttpOnly, Secure when PUBLIC_URL is https, SameSite=Lax; SameSite=None when a CONSOLE_ORIGINS origin is cross-site to PUBLIC_URL over https.",
  tags: ["sessions"],
  request: { body: requestBody(LoginBody) },
  responses: {
    200: {
      description:
        "The password is right and the account has a second factor: no session yet, a login challenge (5 minutes) to answer with a code",
      ...jsonBody(ChallengeResponse),
    },
    201: {
      description: "Logged in (Cache-Control: no-store; Set-Cookie: keyward_session)",
      ...jsonBody(LoginResponse),
    },
    ...errorResponses(
      [
        ...WRITE_ERRORS,
        "validation_failed",
        "invalid_credentials",
        "email_not_verified",
        "account_disabled",
        "rate_limit_exceeded",
      ],
      {
        401: "the same for an unknown email and a wrong password",
        429: "after repeated failures: 10 for an email from one IP (an IPv6 /64), 50 for an email, 100 from one IP, in 15 minutes (Retry-After)",
      },
    ),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/sessions/current",
  operationId: "deleteCurrentSession",
  summary: "Log out: the session stops working and the cookie is cleared",
  tags: ["sessions"],
  security: sessionSecurity,
  responses: { 204: { description: "Logged out" }, ...errorResponses([...SESSION_ERRORS, ...WRITE_ERRORS]) },
});
