import { z } from "zod";
import { AccountSchema, ChallengeBody, LoginBody } from "../../accounts/schemas.js";
import { EndSessionsQuery, SessionSchema } from "../../sessions/session-list.js";
import {
  errorResponses,
  jsonBody,
  registry,
  requestBody,
  SESSION_ERRORS,
  sessionSecurity,
  sessionWriteErrors,
  WRITE_ERRORS,
} from "../openapi-registry.js";

// The /admin/sessions paths in the OpenAPI document, with the schemas the routes validate with.

const LoginResponse = z.object({
  session: z.object({ token: z.string(), expires_at: z.string() }),
  account: AccountSchema,
});
const ChallengeResponse = z.object({
  challenge: z.object({
    token: z.string().meta({ description: "Send it with a code to POST /admin/sessions/challenge" }),
    expires_at: z.string(),
  }),
});

registry.registerPath({
  method: "post",
  path: "/admin/sessions/challenge",
  operationId: "answerLoginChallenge",
  summary: "Second step of a login with a second factor: the challenge token and a code (or a recovery code)",
  tags: ["sessions"],
  request: { body: requestBody(ChallengeBody) },
  responses: {
    201: {
      description:
        "Logged in (Cache-Control: no-store; Set-Cookie: keyward_session), as POST /admin/sessions",
      ...jsonBody(LoginResponse),
    },
    ...errorResponses(
      [...WRITE_ERRORS, "validation_failed", "invalid_code", "invalid_token", "rate_limit_exceeded"],
      {
        400: "invalid_code counts towards the login limits, and 5 spend the challenge; invalid_token: unknown, expired (5 minutes), used or spent",
        429: "the login limits (Retry-After)",
      },
    ),
  },
});

registry.registerPath({
  method: "post",
  path: "/admin/sessions",
  operationId: "createSession",
  summary: "Log in; the session token is returned and set as the keyward_session cookie",
  description:
    "The cookie is HttpOnly, Secure when PUBLIC_URL is https, SameSite=Lax; SameSite=None when a CONSOLE_ORIGINS origin is cross-site to PUBLIC_URL over https.",
  tags: ["sessions"],
  request: { body: requestBody(LoginBody) },
  responses: {
    200: {
      description:
        "The password is right and the account has a second factor: no session yet, a login challenge (5 minutes) to answer with a code",
      ...jsonBody(ChallengeResponse),
    },
    201: {
      description: "Logged in (Cache-Control: no-store; Set-Cookie: keyward_session)",
      ...jsonBody(LoginResponse),
    },
    ...errorResponses(
      [
        ...WRITE_ERRORS,
        "validation_failed",
        "invalid_credentials",
        "email_not_verified",
        "account_disabled",
        "rate_limit_exceeded",
      ],
      {
        401: "the same for an unknown email and a wrong password",
        429: "after repeated failures: 10 for an email from one IP (an IPv6 /64), 50 for an email, 100 from one IP, in 15 minutes (Retry-After)",
      },
    ),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/sessions/current",
  operationId: "deleteCurrentSession",
  summary: "Log out: the session stops working and the cookie is cleared",
  tags: ["sessions"],
  security: sessionSecurity,
  responses: { 204: { description: "Logged out" }, ...sessionWriteErrors([]) },
});
registry.registerPath({
  method: "get",
  path: "/admin/sessions",
  operationId: "listSessions",
  summary: "The account's live sessions, newest first; `current` marks the one making the request",
  tags: ["sessions"],
  security: sessionSecurity,
  responses: {
    200: { description: "The sessions", ...jsonBody(z.object({ data: z.array(SessionSchema) })) },
    ...errorResponses(SESSION_ERRORS),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/sessions",
  operationId: "endOtherSessions",
  summary: "End every session of the account but this one (others=true is required)",
  tags: ["sessions"],
  security: sessionSecurity,
  request: { query: EndSessionsQuery },
  responses: {
    204: { description: "Every other session ended, on every web process" },
    ...sessionWriteErrors(["validation_failed"]),
  },
});
registry.registerPath({
  method: "delete",
  path: "/admin/sessions/{id}",
  operationId: "endSession",
  summary: "End one of the account's sessions (this one included: then the cookie is cleared too)",
  tags: ["sessions"],
  security: sessionSecurity,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    204: { description: "The session ended, on every web process" },
    ...sessionWriteErrors(["not_found"], {
      404: "also for another account's session",
    }),
  },
});
