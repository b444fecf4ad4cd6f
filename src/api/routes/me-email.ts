import { Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { accountJson } from "../../accounts/accounts.js";
import { confirmEmailChange, requestEmailChange } from "../../accounts/email-change.js";
import { confirmPassword } from "../../accounts/reauthenticate.js";
import { AccountSchema, ChangeEmailBody, ConfirmEmailBody } from "../../accounts/schemas.js";
import { queueSecurityEmail } from "../../email/email-requests.js";
import { AppError } from "../../errors/app-error.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import {
  errorResponses,
  jsonBody,
  registry,
  requestBody,
  sessionSecurity,
  sessionWriteErrors,
  WRITE_ERRORS,
} from "../openapi-registry.js";
import { identityRefused, invalidField, rateLimited } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clientContext, clientIp, requireSession } from "../session-auth.js";
import { parseInput } from "../validate.js";

/** POST /admin/me/email (ask) and POST /admin/me/email/confirm (the link from the new address). */
export function meEmailRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();

  route(router, "/me/email", {
    post: [
      requireSession(deps),
      async (req, res) => {
        const body = parseInput(ChangeEmailBody, req.body);
        const { account } = authOf(res);
        const ip = clientIp(req);
        const checked = await confirmPassword(limits, { account, password: body.password, ip });
        if (!checked.ok) throw identityRefused(checked);
        // The verification-email limits: each request mails an address of the caller's choosing.
        const wait = await limits.consumeVerificationEmail(body.email, ip);
        if (wait !== null) throw rateLimited(wait);
        const requested = await requestEmailChange(deps.database.db, {
          account,
          newEmail: body.email,
          now: deps.clock.now(),
          signal: deadlineOf(res),
          ...clientContext(req),
        });
        if (!requested.ok) {
          throw invalidField("email", "is already the account's email address");
        }
        await queueSecurityEmail({ emailQueue: deps.emailQueue, logger: req.log }, "email-change-email", {
          accountId: account.id,
        });
        res.status(202).json({});
      },
    ],
  });

  route(router, "/me/email/confirm", {
    post: async (req, res) => {
      const body = parseInput(ConfirmEmailBody, req.body);
      const result = await confirmEmailChange(deps.database.db, {
        token: body.token,
        now: deps.clock.now(),
        signal: deadlineOf(res),
        ...clientContext(req),
      });
      if (!result.ok) {
        if (result.reason === "email_taken") {
          throw new AppError("email_taken", "Another account took this address meanwhile", {
            param: "token",
          });
        }
        throw new AppError("invalid_token", "The token is unknown, used or expired", { param: "token" });
      }
      res.json({ account: accountJson(result.account) });
    },
  });
  return router;
}

registry.registerPath({
  method: "post",
  path: "/admin/me/email",
  operationId: "requestEmailChange",
  summary: "Change the email address: a link to the new address, a notice to the current one",
  description:
    "The link goes to CONSOLE_URL/confirm-email?token=… (valid 24 hours, once); the current address keeps working until it is used. The notice to the current address carries no link. Answered alike whether or not another account has the address.",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(ChangeEmailBody) },
  responses: {
    202: { description: "Accepted", ...jsonBody(z.object({})) },
    ...sessionWriteErrors(["validation_failed", "invalid_credentials", "rate_limit_exceeded"], {
      400: "syntax, or the current address",
      401: "invalid_credentials: a wrong password",
    }),
  },
});
registry.registerPath({
  method: "post",
  path: "/admin/me/email/confirm",
  operationId: "confirmEmailChange",
  summary: "Confirm an email change with the token from the link sent to the new address (no session needed)",
  tags: ["me"],
  request: { body: requestBody(ConfirmEmailBody) },
  responses: {
    200: {
      description: "The account, with its new email",
      ...jsonBody(z.object({ account: AccountSchema })),
    },
    ...errorResponses([...WRITE_ERRORS, "validation_failed", "invalid_token", "email_taken"], {
      400: "invalid_token: unknown, used, expired, or superseded by a later request",
      409: "email_taken: another account took the address meanwhile",
    }),
  },
});
