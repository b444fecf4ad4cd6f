import { Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { AccountSchema } from "../../accounts/schemas.js";
import { AppError } from "../../errors/app-error.js";
import { completeLoginChallenge } from "../../sessions/login-challenge.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, requestBody, WRITE_ERRORS } from "../openapi-registry.js";
import { invalidCode, rateLimited, secondFactorUnavailable } from "../refusals.js";
import { route } from "../routing.js";
import { clientContext, clientIp } from "../session-auth.js";
import { answerWithSession } from "../sign-in.js";
import { parseInput } from "../validate.js";

const token = z.string().min(1).max(512);
const ChallengeBody = z.union([
  z.strictObject({ token, code: z.string().min(1).max(32) }),
  z.strictObject({ token, recovery_code: z.string().min(1).max(64) }),
]);

/** POST /admin/sessions/challenge: the second step of a login with a second factor. */
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
