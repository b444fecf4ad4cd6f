import { z } from "zod";
import { currentPassword, secondFactorCode } from "../accounts/schemas.js";

// Request bodies of the second-factor endpoints (/admin/me/totp), validated by the routes and
// published in the OpenAPI document from these very objects.

const code = secondFactorCode.meta({ description: "A 6-digit code from the app, or a recovery code" });

export const TotpEnrolBody = z.strictObject({ password: currentPassword });
export const TotpConfirmBody = z.strictObject({
  code: z.string().min(1).max(32),
  end_other_sessions: z
    .boolean()
    .optional()
    .meta({ description: "Also end every other session of the account (default false)" }),
});
export const TotpDisableBody = z.strictObject({ password: currentPassword, code });
