import { z } from "zod";
import { AccountSchema, ChangePasswordBody, DeleteMeBody, UpdateMeBody } from "../../accounts/schemas.js";
import {
  errorResponses,
  jsonBody,
  registry,
  requestBody,
  SESSION_ERRORS,
  sessionSecurity,
  sessionWriteErrors,
} from "../openapi-registry.js";

// The /admin/me and /admin/me/password paths in the OpenAPI document, with the schemas the routes
// validate with.

const AccountResponse = jsonBody(z.object({ account: AccountSchema }));
const MeResponse = jsonBody(
  z.object({
    account: AccountSchema,
    limits: z
      .object({
        requests_per_minute: z.number().int().positive(),
        tokens_per_minute: z
          .number()
          .int()
          .positive()
          .describe("Prompt and completion tokens; a key's own token_limit_per_minute may only be lower"),
      })
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
    ...sessionWriteErrors(["validation_failed"], {
      400: "a value out of range, or neither field given",
    }),
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
    ...sessionWriteErrors(["validation_failed", "invalid_credentials", "rate_limit_exceeded"], {
      400: "new_password breaks the rules, or is the current password",
      401: "invalid_credentials for a wrong current password",
    }),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/me",
  operationId: "deleteAccount",
  summary: "Delete the account: every key revoked at once, every session ended, personal data removed",
  description:
    "Needs the password, and a code (or a recovery code) when two-factor authentication is on. Keys answer 401 on every web process from the moment this answers; a confirmation email goes to the account's address; the audit trail stays, without addresses.",
  tags: ["me"],
  security: sessionSecurity,
  request: { body: requestBody(DeleteMeBody) },
  responses: {
    204: { description: "Deleted; the cookie is cleared" },
    ...sessionWriteErrors(
      ["validation_failed", "invalid_code", "invalid_credentials", "rate_limit_exceeded"],
      {
        400: "invalid_code: missing or wrong while two-factor authentication is on",
        503: "the revocations could not be published; nothing was deleted (Retry-After)",
      },
    ),
  },
});
