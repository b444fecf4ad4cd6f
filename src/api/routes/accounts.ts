import { Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { accountJson } from "../../accounts/accounts.js";
import { verifyEmailWithToken } from "../../accounts/email-tokens.js";
import { warmUpPasswords } from "../../accounts/passwords.js";
import {
  AccountSchema,
  EmailOnlyBody,
  ResetConfirmBody,
  SignupBody,
  VerifyBody,
} from "../../accounts/schemas.js";
import { signUp } from "../../accounts/sign-up.js";
import {
  type EmailRequestResult,
  queueAccountEmail,
  requestPasswordReset,
  requestVerificationEmail,
} from "../../email/email-requests.js";
import { AppError, type ErrorCode } from "../../errors/app-error.js";
import { resetPassword } from "../../sessions/reset-password.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, requestBody, WRITE_ERRORS } from "../openapi-registry.js";
import { invalidField, rateLimited } from "../refusals.js";
import { route } from "../routing.js";
import { clientContext, clientIp } from "../session-auth.js";
import { parseInput } from "../validate.js";

// Account stays an inline schema (no named component): it is built in src/accounts, before zod is
// extended for OpenAPI, and registering it by name would need that extension.
const AccountResponse = z.object({ account: AccountSchema });

const invalidToken = () =>
  new AppError("invalid_token", "The token is unknown, used or expired", { param: "token" });

/** Both email requests answer 202 {} whatever the address, so they cannot tell who has an account. */
function accepted(result: EmailRequestResult): Record<string, never> {
  if (!result.ok) throw rateLimited(result.retryAfterSeconds);
  return {};
}

/** Signup, email verification and the forgotten-password flow: everything reachable without a session. */
export function accountsRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();
  const emailDeps = { db: deps.database.db, emailQueue: deps.emailQueue, limits, logger: deps.logger };
  warmUpPasswords();

  route(router, "/accounts", {
    post: async (req, res) => {
      const result = await signUp(
        {
          db: deps.database.db,
          limits,
          now: deps.clock.now(),
          queueVerificationEmail: (accountId) =>
            queueAccountEmail(emailDeps, "verification-email", accountId),
        },
        // Parsed only once the IP's attempt is counted: see signUp.
        { ip: clientIp(req), readBody: () => parseInput(SignupBody, req.body), signal: deadlineOf(res) },
      );
      if (!result.ok) {
        switch (result.reason) {
          case "rate_limited":
            throw rateLimited(result.retryAfterSeconds);
          case "weak_password":
            throw invalidField("password", result.problem);
          case "email_taken":
            throw new AppError("email_taken", "An account with this email already exists", {
              param: "email",
            });
        }
      }
      res.status(201).json({ account: accountJson(result.account) });
    },
  });

  route(router, "/accounts/verify", {
    post: async (req, res) => {
      const body = parseInput(VerifyBody, req.body);
      const account = await verifyEmailWithToken(
        deps.database.db,
        body.token,
        deps.clock.now(),
        deadlineOf(res),
      );
      if (!account) throw invalidToken();
      res.json({ account: accountJson(account) });
    },
  });

  route(router, "/accounts/verification-email", {
    post: async (req, res) => {
      const { email } = parseInput(EmailOnlyBody, req.body);
      const result = await requestVerificationEmail(emailDeps, {
        email,
        ip: clientIp(req),
        signal: deadlineOf(res),
      });
      res.status(202).json(accepted(result));
    },
  });

  route(router, "/accounts/password-reset", {
    post: async (req, res) => {
      const { email } = parseInput(EmailOnlyBody, req.body);
      const result = await requestPasswordReset(emailDeps, {
        email,
        ip: clientIp(req),
        signal: deadlineOf(res),
      });
      res.status(202).json(accepted(result));
    },
  });

  route(router, "/accounts/password-reset/confirm", {
    post: async (req, res) => {
      const body = parseInput(ResetConfirmBody, req.body);
      const result = await resetPassword(
        { db: deps.database.db, now: deps.clock.now() },
        { token: body.token, password: body.password, ...clientContext(req), signal: deadlineOf(res) },
      );
      if (!result.ok) {
        if (result.reason === "invalid_token") throw invalidToken();
        throw invalidField("password", result.problem);
      }
      res.status(204).end();
    },
  });

  return router;
}

const acceptedResponse = { description: "Accepted, whatever the email", ...jsonBody(z.object({})) };
const RETRY_AFTER = { 429: "too many requests; Retry-After says when to retry" };
const errors = (...codes: ErrorCode[]) => errorResponses([...WRITE_ERRORS, ...codes], RETRY_AFTER);

registry.registerPath({
  method: "post",
  path: "/admin/accounts",
  operationId: "createAccount",
  summary: "Sign up; a verification email is queued",
  tags: ["accounts"],
  request: { body: requestBody(SignupBody) },
  responses: {
    201: { description: "Account created", ...jsonBody(AccountResponse) },
    ...errorResponses([...WRITE_ERRORS, "validation_failed", "email_taken", "rate_limit_exceeded"], {
      400: "email syntax, or a password that breaks the rules (12 to 256 characters, not the email's local part, not a common password)",
      ...RETRY_AFTER,
    }),
  },
});
registry.registerPath({
  method: "post",
  path: "/admin/accounts/verify",
  operationId: "verifyEmail",
  summary: "Verify an email address with the token from the verification email",
  description: "The console page CONSOLE_URL/verify-email?token=… (the email's link) makes this call.",
  tags: ["accounts"],
  request: { body: requestBody(VerifyBody) },
  responses: {
    200: { description: "Verified", ...jsonBody(AccountResponse) },
    ...errorResponses([...WRITE_ERRORS, "invalid_token", "validation_failed"], {
      400: "invalid_token when unknown, used or expired",
    }),
  },
});
registry.registerPath({
  method: "post",
  path: "/admin/accounts/verification-email",
  operationId: "resendVerificationEmail",
  summary: "Send the verification email again (only to an unverified account)",
  tags: ["accounts"],
  request: { body: requestBody(EmailOnlyBody) },
  responses: { 202: acceptedResponse, ...errors("validation_failed", "rate_limit_exceeded") },
});
registry.registerPath({
  method: "post",
  path: "/admin/accounts/password-reset",
  operationId: "requestPasswordReset",
  summary: "Email a password-reset link to the account, if there is one",
  tags: ["accounts"],
  request: { body: requestBody(EmailOnlyBody) },
  responses: { 202: acceptedResponse, ...errors("validation_failed", "rate_limit_exceeded") },
});
registry.registerPath({
  method: "post",
  path: "/admin/accounts/password-reset/confirm",
  operationId: "confirmPasswordReset",
  summary: "Set a new password with a reset token; every session of the account ends",
  description: "The console page CONSOLE_URL/reset-password?token=… (the email's link) makes this call.",
  tags: ["accounts"],
  request: { body: requestBody(ResetConfirmBody) },
  responses: { 204: { description: "Password changed" }, ...errors("invalid_token", "validation_failed") },
});
