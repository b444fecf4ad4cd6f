import { z } from "zod";
import { TotpConfirmBody, TotpDisableBody, TotpEnrolBody } from "../../totp/totp-schemas.js";
import { jsonBody, registry, requestBody, sessionSecurity, sessionWriteErrors } from "../openapi-registry.js";

// The /admin/me/totp paths in the OpenAPI document, with the schemas the routes validate with.

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
  request: { body: requestBody(TotpEnrolBody) },
  responses: {
    200: {
      description: "Enrolment pending until confirmed with a code (Cache-Control: no-store)",
      ...jsonBody(z.object({ otpauth_uri: z.string(), secret: z.string() })),
    },
    ...sessionWriteErrors(
      ["validation_failed", ...PASSWORD_CODES, "totp_already_enabled", "totp_not_configured"],
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
  request: { body: requestBody(TotpConfirmBody) },
  responses: {
    200: {
      description: "On (Cache-Control: no-store); an email tells the account",
      ...jsonBody(z.object({ recovery_codes: z.array(z.string()).length(10) })),
    },
    ...sessionWriteErrors(
      [
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
  request: { body: requestBody(TotpDisableBody) },
  responses: {
    204: { description: "Off; the recovery codes are gone and an email tells the account" },
    ...sessionWriteErrors(["validation_failed", "invalid_code", ...PASSWORD_CODES], {
      ...limitsNote,
      400: "invalid_code, also when two-factor authentication is off",
    }),
  },
});
