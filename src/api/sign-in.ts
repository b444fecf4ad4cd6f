import type { Request, Response } from "express";
import { type AccountRow, accountJson } from "../accounts/accounts.js";
import { queueSecurityEmail } from "../email/email-requests.js";
import type { SessionRow } from "../sessions/sessions.js";
import type { AppDeps } from "./deps.js";
import { setSessionCookie } from "./session-auth.js";

/** The 201 of a login or of an answered challenge: the session, its cookie, and the new-address email. */
export async function answerWithSession(
  deps: AppDeps,
  req: Request,
  res: Response,
  started: { token: string; session: SessionRow; account: AccountRow; newSigninEventId: string | null },
): Promise<void> {
  if (started.newSigninEventId) {
    await queueSecurityEmail({ emailQueue: deps.emailQueue, logger: req.log }, "new-signin-email", {
      accountId: started.account.id,
      eventId: started.newSigninEventId,
    });
  }
  setSessionCookie(res, deps.config, started.token, started.session.expiresAt);
  res.setHeader("Cache-Control", "no-store");
  res.status(201).json({
    session: { token: started.token, expires_at: started.session.expiresAt.toISOString() },
    account: accountJson(started.account),
  });
}
