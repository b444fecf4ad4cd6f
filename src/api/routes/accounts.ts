import { Router } from "express";
import type { Redis } from "ioredis";
import { z } from "zod";
import { createAbuseLimits } from "../../accounts/abuse-limits.js";
import { accountJson, findAccountByEmail, insertAccount } from "../../accounts/accounts.js";
import {
  accountForResetToken,
  resetPasswordWithToken,
  verifyEmailWithToken,
} from "../../accounts/email-tokens.js";
import { hashPassword, passwordProblem, warmUpPasswords } from "../../accounts/passwords.js";
import {
  AccountSchema,
  EmailOnlyBody,
  ResetConfirmBody,
  SignupBody,
  VerifyBody,
} from "../../accounts/schemas.js";
import { enqueueEmail } from "../../email/enqueue.js";
import { AppError, type ErrorCode } from "../../errors/app-error.js";
import type { EmailJobName } from "../../jobs/jobs.js";
import { TimedOut, withTimeout } from "../../time/with-timeout.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, requestBody, WRITE_ERRORS } from "../openapi-registry.js";
import { route } from "../routing.js";
import { clientContext, clientIp } from "../session-auth.js";
import { parseInput } from "../validate.js";

// Account stays an inline schema (no named component): it is built in src/accounts, before zod is
// extended for OpenAPI, and registering it by name would need that extension.
const AccountResponse = z.object({ account: AccountSchema });

export function rateLimited(retryAfterSeconds: number): AppError {
  return new AppError("rate_limit_exceeded", "Too many requests; try again later", {
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

const invalidToken = () =>
  new AppError("invalid_token", "The token is unknown, used or expired", { param: "token" });

/** How long a request waits for its email to be queued before answering anyway. */
export const EMAIL_QUEUE_WAIT_MS = 2_000;

/** Signup, email verification and the forgotten-password flow: everything reachable without a session. */
export function accountsRouter(deps: AppDeps): Router {
  const router = Router();
  const limits = createAbuseLimits(deps.redis, deps.config.redisPrefix);
  warmUpPasswords();

  // Queuing failures must not undo a signup or reveal anything: the user can ask again. Nor may an
  // unreachable Redis hold the answer: BullMQ's connection keeps the job until Redis is back (it is
  // queued then, and sent), and the request answers after EMAIL_QUEUE_WAIT_MS whatever happens.
  const queueEmail = async (name: EmailJobName, accountId: string) => {
    const queued = enqueueEmail(deps.emailQueue, name, { accountId });
    try {
      await withTimeout(queued, EMAIL_QUEUE_WAIT_MS);
    } catch (err) {
      const late = err instanceof TimedOut;
      deps.logger.error(
        { err, job: name, accountId },
        late ? "Redis is not answering: the email will be queued when it is back" : "could not queue email",
      );
      if (late) {
        queued.then(
          () => deps.logger.info({ job: name, accountId }, "email queued after Redis came back"),
          (lateErr: unknown) =>
            deps.logger.error({ err: lateErr, job: name, accountId }, "could not queue email"),
        );
      }
    }
  };

  // With no email to queue, the answer still waits for one round trip to the queue's Redis, bounded
  // alike: otherwise an address with an account would answer later than one without (a little in
  // normal times, EMAIL_QUEUE_WAIT_MS later while Redis is away), and the timing would tell.
  const sameWaitAsQueueing = async () => {
    // The queue's own connection: the ioredis client it was given (src/queues/queues.ts).
    const connection = deps.emailQueue.opts.connection as Redis;
    await withTimeout(connection.ping(), EMAIL_QUEUE_WAIT_MS).catch(() => {});
  };

  route(router, "/accounts", {
    post: async (req, res) => {
      const wait = await limits.consumeSignup(clientIp(req));
      if (wait !== null) throw rateLimited(wait);
      const body = parseInput(SignupBody, req.body);
      const problem = passwordProblem(body.password, body.email);
      if (problem) throw new AppError("validation_failed", problem, { param: "password" });
      const created = await insertAccount(deps.database.db, {
        email: body.email,
        passwordHash: await hashPassword(body.password),
        now: deps.clock.now(),
      });
      if (!created.ok) {
        throw new AppError("email_taken", "An account with this email already exists", { param: "email" });
      }
      await queueEmail("verification-email", created.account.id);
      res.status(201).json({ account: accountJson(created.account) });
    },
  });

  route(router, "/accounts/verify", {
    post: async (req, res) => {
      const body = parseInput(VerifyBody, req.body);
      const account = await verifyEmailWithToken(deps.database.db, body.token, deps.clock.now());
      if (!account) throw invalidToken();
      res.json({ account: accountJson(account) });
    },
  });

  // Both email requests answer 202 {} whatever the address, so they cannot tell who has an account.
  route(router, "/accounts/verification-email", {
    post: async (req, res) => {
      const body = parseInput(EmailOnlyBody, req.body);
      const wait = await limits.consumeVerificationEmail(body.email, clientIp(req));
      if (wait !== null) throw rateLimited(wait);
      const account = await findAccountByEmail(deps.database.db, body.email);
      if (account && !account.emailVerifiedAt && !account.disabledAt) {
        await queueEmail("verification-email", account.id);
      } else await sameWaitAsQueueing();
      res.status(202).json({});
    },
  });

  route(router, "/accounts/password-reset", {
    post: async (req, res) => {
      const body = parseInput(EmailOnlyBody, req.body);
      const wait = await limits.consumePasswordReset(body.email, clientIp(req));
      if (wait !== null) throw rateLimited(wait);
      const account = await findAccountByEmail(deps.database.db, body.email);
      if (account && !account.disabledAt) await queueEmail("password-reset-email", account.id);
      else await sameWaitAsQueueing();
      res.status(202).json({});
    },
  });

  route(router, "/accounts/password-reset/confirm", {
    post: async (req, res) => {
      const body = parseInput(ResetConfirmBody, req.body);
      const account = await accountForResetToken(deps.database.db, body.token, deps.clock.now());
      if (!account) throw invalidToken();
      const problem = passwordProblem(body.password, account.email);
      if (problem) throw new AppError("validation_failed", problem, { param: "password" });
      const done = await resetPasswordWithToken(deps.database.db, {
        token: body.token,
        passwordHash: await hashPassword(body.password),
        now: deps.clock.now(),
        ...clientContext(req),
      });
      if (!done) throw invalidToken();
      res.status(204).end();
    },
  });

  return router;
}

const accepted = { description: "Accepted, whatever the email", ...jsonBody(z.object({})) };
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
  responses: { 202: accepted, ...errors("validation_failed", "rate_limit_exceeded") },
});
registry.registerPath({
  method: "post",
  path: "/admin/accounts/password-reset",
  operationId: "requestPasswordReset",
  summary: "Email a password-reset link to the account, if there is one",
  tags: ["accounts"],
  request: { body: requestBody(EmailOnlyBody) },
  responses: { 202: accepted, ...errors("validation_failed", "rate_limit_exceeded") },
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
