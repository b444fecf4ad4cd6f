import { Router } from "express";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { queueSecurityEmail } from "../../email/email-requests.js";
import { AppError } from "../../errors/app-error.js";
import { turnOnSecondFactor } from "../../sessions/turn-on-second-factor.js";
import { beginTotpEnrolmentWithPassword, disableTotpWithProof } from "../../totp/confirmed-changes.js";
import { TotpConfirmBody, TotpDisableBody, TotpEnrolBody } from "../../totp/totp-schemas.js";
import { deadlineOf } from "../admin-deadline.js";
import type { AppDeps } from "../deps.js";
import { identityRefused, invalidCode, rateLimited } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clientContext, clientIp, requireSession } from "../session-auth.js";
import { parseInput } from "../validate.js";
import "./me-totp-openapi.js";

/** Second factor: enrol (POST), confirm (POST …/confirm), turn off (DELETE). */
export function meTotpRouter(deps: AppDeps, limits: AbuseLimits): Router {
  const router = Router();
  const session = requireSession(deps);

  const totpKey = (): Buffer => {
    const key = deps.config.totpEncryptionKey;
    if (!key) {
      throw new AppError(
        "totp_not_configured",
        "Two-factor authentication is not available on this server: its operator has not set TOTP_ENCRYPTION_KEY",
      );
    }
    return key;
  };

  route(router, "/me/totp", {
    post: [
      session,
      async (req, res) => {
        const body = parseInput(TotpEnrolBody, req.body);
        const key = totpKey();
        const { account } = authOf(res);
        const begun = await beginTotpEnrolmentWithPassword(
          { db: deps.database.db, limits, now: deps.clock.now() },
          { account, password: body.password, ip: clientIp(req), totpKey: key },
        );
        if (!begun.ok) {
          if (begun.reason === "not_confirmed") throw identityRefused(begun.refusal);
          throw new AppError("totp_already_enabled", "Two-factor authentication is already on");
        }
        res.setHeader("Cache-Control", "no-store");
        res.json({ otpauth_uri: begun.otpauthUri, secret: begun.secret });
      },
    ],
    delete: [
      session,
      async (req, res) => {
        const body = parseInput(TotpDisableBody, req.body);
        const { account } = authOf(res);
        const disabled = await disableTotpWithProof(
          { db: deps.database.db, limits, totpKey: deps.config.totpEncryptionKey, now: deps.clock.now() },
          {
            account,
            password: body.password,
            code: body.code,
            ip: clientIp(req),
            audit: clientContext(req),
            signal: deadlineOf(res),
          },
        );
        if (!disabled.ok) throw identityRefused(disabled.refusal);
        await queueSecurityEmail({ emailQueue: deps.emailQueue, logger: req.log }, "totp-disabled-email", {
          accountId: account.id,
        });
        res.status(204).end();
      },
    ],
  });

  route(router, "/me/totp/confirm", {
    post: [
      session,
      async (req, res) => {
        const body = parseInput(TotpConfirmBody, req.body);
        const key = totpKey();
        const { account, session } = authOf(res);
        const result = await turnOnSecondFactor(
          { db: deps.database.db, limits, now: deps.clock.now() },
          {
            account,
            code: body.code,
            totpKey: key,
            sessionId: session.id,
            endOtherSessions: body.end_other_sessions === true,
            ip: clientIp(req),
            audit: clientContext(req),
            signal: deadlineOf(res),
          },
        );
        if (!result.ok) {
          switch (result.reason) {
            case "rate_limited":
              throw rateLimited(result.retryAfterSeconds);
            case "invalid_code":
              throw invalidCode();
            case "already_enabled":
              throw new AppError("totp_already_enabled", "Two-factor authentication is already on");
            case "not_pending":
              throw new AppError(
                "totp_not_pending",
                "Start with POST /admin/me/totp: no enrolment is pending",
              );
          }
        }
        await queueSecurityEmail({ emailQueue: deps.emailQueue, logger: req.log }, "totp-enabled-email", {
          accountId: account.id,
        });
        res.setHeader("Cache-Control", "no-store");
        res.json({ recovery_codes: result.recoveryCodes });
      },
    ],
  });
  return router;
}
