import { Router } from "express";
import { z } from "zod";
import type { AbuseLimits } from "../../accounts/abuse-limits.js";
import { confirmPassword } from "../../accounts/reauthenticate.js";
import { queueSecurityEmail } from "../../email/email-requests.js";
import { AppError } from "../../errors/app-error.js";
import { endOtherSessions } from "../../sessions/session-list.js";
import { asLoginAttempt } from "../../totp/code-attempts.js";
import { beginTotpEnrolment, confirmTotpEnrolment, disableTotp } from "../../totp/enrolment.js";
import { isRecoveryCodeShape } from "../../totp/recovery-codes.js";
import { useSecondFactor } from "../../totp/second-factor.js";
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
import { invalidCode, rateLimited, secondFactorUnavailable, wrongPassword } from "../refusals.js";
import { route } from "../routing.js";
import { authOf, clientContext, clientIp, requireSession } from "../session-auth.js";
import { parseInput } from "../validate.js";

const password = z.string().min(1).max(4096);
const code = z
  .string()
  .min(1)
  .max(64)
  .meta({ description: "A 6-digit code from the app, or a recovery code" });
const EnrolBody = z.strictObject({ password });
const ConfirmBody = z.strictObject({
  code: z.string().min(1).max(32),
  end_other_sessions: z
    .boolean()
    .optional()
    .meta({ description: "Also end every other session of the account (default false)" }),
});
const DisableBody = z.strictObject({ password, code });

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
        const body = parseInput(EnrolBody, req.body);
        const key = totpKey();
        const { account } = authOf(res);
        const checked = await confirmPassword(limits, {
          account,
          password: body.password,
          ip: clientIp(req),
        });
        if (!checked.ok) {
          if (checked.reason === "rate_limited") throw rateLimited(checked.retryAfterSeconds);
          throw wrongPassword();
        }
        const begun = await beginTotpEnrolment(deps.database.db, {
          account,
          totpKey: key,
          now: deps.clock.now(),
        });
        if (!begun.ok) throw new AppError("totp_already_enabled", "Two-factor authentication is already on");
        res.setHeader("Cache-Control", "no-store");
        res.json({ otpauth_uri: begun.otpauthUri, secret: begun.secret });
      },
    ],
    delete: [
      session,
      async (req, res) => {
        const body = parseInput(DisableBody, req.body);
        const { account } = authOf(res);
        const ip = clientIp(req);
        if (!account.totpEnabledAt) throw invalidCode();
        const checked = await confirmPassword(limits, { account, password: body.password, ip });
        if (!checked.ok) {
          if (checked.reason === "rate_limited") throw rateLimited(checked.retryAfterSeconds);
          throw wrongPassword();
        }
        const proof = isRecoveryCodeShape(body.code) ? { recoveryCode: body.code } : { code: body.code };
        const now = deps.clock.now();
        const check = await asLoginAttempt(limits, { email: account.email, ip }, () =>
          useSecondFactor(deps.database.db, { account, proof, totpKey: deps.config.totpEncryptionKey, now }),
        );
        if (!check.ok) {
          if (check.reason === "rate_limited") throw rateLimited(check.retryAfterSeconds);
          if (check.reason === "unavailable") throw secondFactorUnavailable();
          throw invalidCode();
        }
        await disableTotp(deps.database.db, {
          accountId: account.id,
          now,
          signal: deadlineOf(res),
          ...clientContext(req),
        });
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
        const body = parseInput(ConfirmBody, req.body);
        const key = totpKey();
        const auth = authOf(res);
        const { account } = auth;
        const now = deps.clock.now();
        const result = await asLoginAttempt(limits, { email: account.email, ip: clientIp(req) }, () =>
          confirmTotpEnrolment(deps.database.db, {
            account,
            code: body.code,
            totpKey: key,
            now,
            signal: deadlineOf(res),
            ...clientContext(req),
          }),
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
        if (body.end_other_sessions) {
          await endOtherSessions(deps.database.db, {
            accountId: account.id,
            keepSessionId: auth.session.id,
            now,
            ...clientContext(req),
          });
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

const PASSWORD_CODES = ["invalid_credentials", "rate_limit_exceeded"] as const;
const limitsNote = { 429: "wrong passwords and codes share the login limits (Retry-After)" };

registry.registerPath({
  method: "post",
  path: "/admin/me/totp",
  operationId: "beginTotpEnrolment",
  summary: "Start turning on two-factor authentication: a new secret and its otpauth:// URI, shown this once",
  description:
    "The console shows the URI as a QR code. The second factor is on only once POST /admin/me/totp/confirm has a code from the app; calling this again replaces a pending secret.",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(EnrolBody) },
  responses: {
    200: {
      description: "Enrolment pending until confirmed with a code (Cache-Control: no-store)",
      ...jsonBody(z.object({ otpauth_uri: z.string(), secret: z.string() })),
    },
    ...errorResponses(
      [
        ...SESSION_ERRORS,
        ...WRITE_ERRORS,
        "validation_failed",
        ...PASSWORD_CODES,
        "totp_already_enabled",
        "totp_not_configured",
      ],
      {
        ...limitsNote,
        401: "invalid_credentials: a wrong password",
        501: "the server has no TOTP_ENCRYPTION_KEY",
      },
    ),
  },
});
registry.registerPath({
  method: "post",
  path: "/admin/me/totp/confirm",
  operationId: "confirmTotpEnrolment",
  summary:
    "Turn two-factor authentication on with a first code; returns ten single-use recovery codes, shown this once",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(ConfirmBody) },
  responses: {
    200: {
      description: "On (Cache-Control: no-store); an email tells the account",
      ...jsonBody(z.object({ recovery_codes: z.array(z.string()).length(10) })),
    },
    ...errorResponses(
      [
        ...SESSION_ERRORS,
        ...WRITE_ERRORS,
        "validation_failed",
        "invalid_code",
        "rate_limit_exceeded",
        "totp_already_enabled",
        "totp_not_pending",
        "totp_not_configured",
      ],
      { ...limitsNote, 400: "invalid_code counts towards the login limits" },
    ),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/me/totp",
  operationId: "disableTotp",
  summary: "Turn two-factor authentication off, with the password and a code (or a recovery code)",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(DisableBody) },
  responses: {
    204: { description: "Off; the recovery codes are gone and an email tells the account" },
    ...errorResponses(
      [...SESSION_ERRORS, ...WRITE_ERRORS, "validation_failed", "invalid_code", ...PASSWORD_CODES],
      {
        ...limitsNote,
        400: "invalid_code, also when two-factor authentication is off",
      },
    ),
  },
});
