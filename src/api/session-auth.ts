import { parse as parseCookie } from "cookie";
import type { CookieOptions, Request, RequestHandler, Response } from "express";
import type { AccountRow } from "../accounts/accounts.js";
import type { Config } from "../config/config.js";
import { AppError } from "../errors/app-error.js";
import { bearerToken } from "../http/bearer.js";
import { type SessionRow, validateSessionToken } from "../sessions/sessions.js";
import type { AppDeps } from "./deps.js";

export const SESSION_COOKIE = "keyward_session";

export interface SessionAuth {
  account: AccountRow;
  session: SessionRow;
}

/** The session token a request carries: `Authorization: Bearer` wins over the cookie. */
function sessionTokenOf(req: Request): string | null {
  const authorization = req.headers.authorization;
  if (authorization) {
    return bearerToken(authorization);
  }
  const cookie = req.headers.cookie ? parseCookie(req.headers.cookie)[SESSION_COOKIE] : undefined;
  return cookie ?? null;
}

/** Requires a live console session; API keys are never accepted here (they only work on /v1). */
export function requireSession(deps: AppDeps): RequestHandler {
  return async (req, res, next) => {
    const token = sessionTokenOf(req);
    if (!token) throw new AppError("session_required", "A console session is required");
    const result = await validateSessionToken(deps.database.db, token, deps.clock.now(), deps.config);
    if (!result) throw new AppError("session_required", "Session is invalid or has expired");
    res.locals.auth = { account: result.account, session: result.session } satisfies SessionAuth;
    next();
  };
}

export function authOf(res: Response): SessionAuth {
  const auth = res.locals.auth as SessionAuth | undefined;
  if (!auth) throw new Error("authOf called on a route without requireSession");
  return auth;
}

/** The client's address and agent, for audit events and rate limits (TRUST_PROXY decides the IP). */
export function clientContext(req: Request): { ip: string | null; userAgent: string | null } {
  return { ip: req.clientIp ?? null, userAgent: req.get("user-agent") ?? null };
}

type CookieConfig = Pick<Config, "secureCookies" | "sessionCookieSameSite">;

function sessionCookieOptions(config: CookieConfig): CookieOptions {
  // HttpOnly: scripts never see the token. SameSite=Lax: not sent on cross-site POSTs (CSRF is also
  // checked by Origin); None only when a listed console is on another site, or its calls would carry
  // no session (config/cookie-site.ts). Secure whenever the public URL is https.
  return { httpOnly: true, sameSite: config.sessionCookieSameSite, path: "/", secure: config.secureCookies };
}

export function setSessionCookie(res: Response, config: CookieConfig, token: string, expiresAt: Date): void {
  res.cookie(SESSION_COOKIE, token, { ...sessionCookieOptions(config), expires: expiresAt });
}

export function clearSessionCookie(res: Response, config: CookieConfig): void {
  res.clearCookie(SESSION_COOKIE, sessionCookieOptions(config));
}

/** The IP rate limits key on; "unknown" rather than no limit when express cannot tell. */
export function clientIp(req: Request): string {
  return req.clientIp ?? "unknown";
}
