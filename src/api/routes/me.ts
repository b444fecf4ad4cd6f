import { Router } from "express";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { accountJson, updateAccountSettings } from "../../accounts/accounts.js";
import { ChangePasswordBody, DeleteMeBody, UpdateMeBody } from "../../accounts/schemas.js";
import { queueSecurityEmail } from "../../email/email-requests.js";
import { AppError } from "../../errors/app-error.js";
import { changePassword } from "../../sessions/change-password.js";
import { ceilingsOfTier } from "../../tiers/tiers.js";
import { deleteAccountWithProof } from "../../totp/confirmed-changes.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { identityRefused, invalidField, rateLimited } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clearSessionCookie, clientContext, clientIp, requireSession } from "../session-auth.js";
import { parseInput } from "../validate.js";
import "./me-openapi.js";

/** The logged-in account: read it, change its settings or its password, delete it. */
export function meRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();
  const session = requireSession(deps);

  route(router, "/me", {
    get: [
      session,
      (_req, res) => {
        const { account } = authOf(res);
        // The tier's limits ride along so a console can show them and cap a key's own limit.
        const ceilings = ceilingsOfTier(deps.config, account.tier);
        const limits = {
          requests_per_minute: ceilings.requestsPerMinute,
          tokens_per_minute: ceilings.tokensPerMinute,
        };
        res.json({ account: accountJson(account), limits });
      },
    ],
    patch: [
      session,
      async (req, res) => {
        const body = parseInput(UpdateMeBody, req.body);
        const account = await updateAccountSettings(
          deps.database.db,
          authOf(res).account.id,
          { rotationReminderDays: body.rotation_reminder_days, newSigninEmails: body.new_signin_emails },
          deps.clock.now(),
        );
        res.json({ account: accountJson(account) });
      },
    ],
    delete: [
      session,
      async (req, res) => {
        const body = parseInput(DeleteMeBody, req.body);
        const { account } = authOf(res);
        const deleted = await deleteAccountWithProof(
          {
            db: deps.database.db,
            limits,
            totpKey: deps.config.totpEncryptionKey,
            now: deps.clock.now(),
            redis: deps.redis,
            redisPrefix: deps.config.redisPrefix,
          },
          {
            account,
            password: body.password,
            code: body.code,
            ip: clientIp(req),
            signal: deadlineOf(res),
          },
        );
        if (!deleted.ok) {
          switch (deleted.reason) {
            case "not_confirmed":
              throw identityRefused(deleted.refusal);
            case "unavailable":
              req.log.error({ err: deleted.cause }, "could not publish key revocations; account not deleted");
              throw new AppError("service_unavailable", "Could not delete the account right now; try again", {
                headers: { "Retry-After": "5" },
              });
            case "not_found":
              throw new AppError("session_required", "Session is invalid or has expired");
          }
        }
        await queueSecurityEmail({ emailQueue: deps.emailQueue, logger: req.log }, "account-deleted-email", {
          accountId: account.id,
          to: deleted.email,
        });
        clearSessionCookie(res, deps.config);
        res.status(204).end();
      },
    ],
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
            signal: deadlineOf(res),
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
            case "same_password":
              throw invalidField("new_password", "must be different from the current password");
            case "weak_password":
              throw invalidField("new_password", result.problem);
          }
        }
        res.status(204).end();
      },
    ],
  });

  return router;
}
