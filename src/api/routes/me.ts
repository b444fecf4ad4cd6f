import { Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { accountJson, updateAccountSettings } from "../../accounts/accounts.js";
import { AccountSchema, ChangePasswordBody, UpdateMeBody } from "../../accounts/schemas.js";
import { AppError } from "../../errors/app-error.js";
import { changePassword } from "../../sessions/change-password.js";
import { ceilingsOfTier } from "../../tiers/tiers.js";
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
import { authOf, clientContext, clientIp, requireSession } from "../session-auth.js";
import { parseInput } from "../validate.js";
import { deleteMeHandler } from "./me-email.js";

/** The logged-in account: read it, change its settings, change its password. */
export function meRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();
  const session = requireSession(deps);

  route(router, "/me", {
    get: [
      session,
      (_req, res) => {
        const { account } = authOf(res);
        // The tier's limits ride along so a console can show them and cap a key's own limit.
        const limits = { requests_per_minute: ceilingsOfTier(deps.config, account.tier).requestsPerMinute };
        res.json({ account: accountJson(account), limits });
      },
    ],
    patch: [
      session,
      async (req, res) => {
        const body = parseInput(UpdateMeBody, req.body);
        let account = authOf(res).account;
        if (body.rotation_reminder_days !== undefined || body.new_signin_emails !== undefined) {
          account = await updateAccountSettings(
            deps.database.db,
            account.id,
            { rotationReminderDays: body.rotation_reminder_days, newSigninEmails: body.new_signin_emails },
            deps.clock.now(),
          );
        }
        res.json({ account: accountJson(account) });
      },
    ],
    delete: [session, deleteMeHandler(deps, limits)],
  });

  route(router, "/me/password", {
    post: [
      session,
      async (req, res) => {
        const body = parseInput(ChangePasswordBody, req.body);
        const { account, session } = authOf(res);
        const result = await changePassword(
          { db: deps.database.db, limits, now: deps.clock.now() },
          {
            account,
            keepSessionId: session.id,
            currentPassword: body.current_password,
            newPassword: body.new_password,
            limitIp: clientIp(req),
            ...clientContext(req),
          },
        );
        if (!result.ok) {
          switch (result.reason) {
            case "rate_limited":
              throw rateLimited(
                result.retryAfterSeconds,
                "Too many failed password attempts; try again later",
              );
            case "wrong_password":
              throw new AppError("invalid_credentials", "Current password is incorrect", {
                param: "current_password",
              });
            case "weak_password":
              throw new AppError("validation_failed", result.problem, { param: "new_password" });
          }
        }
        res.status(204).end();
      },
    ],
  });

  return router;
}

const AccountResponse = jsonBody(z.object({ account: AccountSchema }));
const MeResponse = jsonBody(
  z.object({
    account: AccountSchema,
    limits: z
      .object({ requests_per_minute: z.number().int().positive() })
      .meta({ id: "TierLimits", description: "What the account's tier allows each key" }),
  }),
);

registry.registerPath({
  method: "get",
  path: "/admin/me",
  operationId: "getMe",
  summary: "The logged-in account",
  tags: ["me"],
  security: sessionSecurity,
  responses: {
    200: { description: "The account and its tier's limits", ...MeResponse },
    ...errorResponses(SESSION_ERRORS),
  },
});
registry.registerPath({
  method: "patch",
  path: "/admin/me",
  operationId: "updateMe",
  summary:
    "Change account settings (rotation_reminder_days: 0 turns reminders off; new_signin_emails: an email on each sign-in from a new address, on by default)",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(UpdateMeBody) },
  responses: {
    200: { description: "The updated account", ...AccountResponse },
    ...errorResponses([...SESSION_ERRORS, ...WRITE_ERRORS, "validation_failed"]),
  },
});
registry.registerPath({
  method: "post",
  path: "/admin/me/password",
  operationId: "changePassword",
  summary: "Change the password; every other session of the account ends",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(ChangePasswordBody) },
  responses: {
    204: { description: "Password changed" },
    ...errorResponses(
      [...SESSION_ERRORS, ...WRITE_ERRORS, "validation_failed", "invalid_credentials", "rate_limit_exceeded"],
      { 400: "new_password breaks the rules", 401: "invalid_credentials for a wrong current password" },
    ),
  },
});
