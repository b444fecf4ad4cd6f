import { dropPendingEmail } from "../accounts/email-change.js";
import { retireEmailTokens } from "../accounts/email-tokens.js";
import type { Db } from "../db/client.js";
import { retireLoginChallenges } from "./login-challenge.js";

/**
 * What a new password (a change or a reset) retires besides sessions, in the transaction that stores
 * it: every unused reset link (one minted before would set the password again and end the owner's
 * sessions), a pending email change with its links (perhaps started by whoever held a session; the
 * owner's reset must stop it), and every open login challenge (earned with the old password).
 */
export async function retireWhatOldPasswordOpened(
  tx: Pick<Db, "update">,
  input: { accountId: string; now: Date },
): Promise<void> {
  await retireEmailTokens(tx, { ...input, purposes: ["reset_password", "change_email"] });
  await dropPendingEmail(tx, input.accountId);
  await retireLoginChallenges(tx, input);
}
