import { z } from "zod";
import { TIERS } from "../tiers/tiers.js";

// Request bodies of the account and session endpoints, validated by the routes and published in the
// OpenAPI document from these very objects. Strict: an unknown field is refused by name.

const email = z.string().trim().pipe(z.email("must be a valid email address").max(254));
// The password rules (length in code points, email, common list) are checked by passwordProblem();
// this bound only keeps absurd bodies from reaching argon2.
const password = z.string().max(4096);
const token = z.string().min(1).max(512);
/** A password asked again of a signed-in account: checked against its hash, never against the rules. */
export const currentPassword = z.string().min(1).max(4096);
/** A second factor's proof asked again of a signed-in account: a code from the app, or a recovery code. */
export const secondFactorCode = z.string().min(1).max(64);

export const SignupBody = z.strictObject({ email, password });
export const VerifyBody = z.strictObject({ token });
export const EmailOnlyBody = z.strictObject({ email });
export const ResetConfirmBody = z.strictObject({ token, password });
// No address holds a NUL, and PostgreSQL refuses one even in a comparison: refuse it before the look-up.
const loginEmail = z
  .string()
  .trim()
  .min(1)
  .max(320)
  .refine((s) => !s.includes("\u0000"), "must not contain a NUL character");
export const LoginBody = z.strictObject({ email: loginEmail, password });
/** The second step of a login with a second factor: the challenge's token and a code, or a recovery code. */
export const ChallengeBody = z.union([
  z.strictObject({ token, code: z.string().min(1).max(32) }),
  z.strictObject({ token, recovery_code: z.string().min(1).max(64) }),
]);
// An empty change is refused, as PATCH /admin/keys/:id refuses one: a client that sends nothing (or
// only a field it misspelt away) has a bug to hear about, not a 200 that changed nothing.
export const UpdateMeBody = z
  .strictObject({
    rotation_reminder_days: z.number().int().min(0).max(365).optional(),
    new_signin_emails: z.boolean().optional(),
  })
  .refine((body) => body.rotation_reminder_days !== undefined || body.new_signin_emails !== undefined, {
    message: "give rotation_reminder_days or new_signin_emails (or both)",
    path: ["rotation_reminder_days"],
  });
export const ChangePasswordBody = z.strictObject({
  current_password: currentPassword,
  new_password: password,
});
export const ChangeEmailBody = z.strictObject({ email, password: currentPassword });
export const ConfirmEmailBody = VerifyBody;
export const DeleteMeBody = z.strictObject({
  password: currentPassword,
  code: secondFactorCode
    .optional()
    .meta({ description: "Required when two-factor authentication is on: a code or a recovery code" }),
});

export const AccountSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    email_verified: z.boolean(),
    tier: z.enum(TIERS),
    rotation_reminder_days: z.number().int(),
    totp_enabled: z.boolean(),
    new_signin_emails: z.boolean(),
    pending_email: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "Account" });
