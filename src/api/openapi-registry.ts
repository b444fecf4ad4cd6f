import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { ERROR_CODES, ERROR_TYPES, type ErrorCode, errorStatus, errorTypeFor } from "../errors/app-error.js";

// One registry for the admin API. Each route module registers its paths with the very zod schemas it
// validates requests with, so the document cannot drift from the behaviour.
extendZodWithOpenApi(z);

export const registry = new OpenAPIRegistry();

registry.registerComponent("securitySchemes", "session", {
  type: "http",
  scheme: "bearer",
  description: "A console session token, as returned by POST /admin/sessions.",
});
registry.registerComponent("securitySchemes", "sessionCookie", {
  type: "apiKey",
  in: "cookie",
  name: "keyward_session",
  description:
    "The HttpOnly cookie POST /admin/sessions sets. A state-changing call authenticated by it must carry keyward's own Origin or one listed in CONSOLE_ORIGINS (else 403 csrf_rejected).",
});

/** Either the bearer token or the cookie authenticates a console call. */
export const sessionSecurity: Record<string, string[]>[] = [{ session: [] }, { sessionCookie: [] }];

// The error shape as one component, for clients that want a single type for every error.
registry.register(
  "Error",
  z.object({
    error: z.object({
      message: z.string(),
      // Both lists come from the one code table in src/errors: the document cannot drift from it.
      type: z.enum(ERROR_TYPES),
      code: z.enum(ERROR_CODES),
      param: z.string().optional(),
    }),
  }),
);

/** A JSON response body with this schema, for registerPath. */
export function jsonBody(schema: z.ZodType) {
  return { content: { "application/json": { schema } } };
}

/** A required JSON request body, for registerPath's `request.body`. */
export function requestBody(schema: z.ZodType) {
  return { required: true, ...jsonBody(schema) };
}

// Every call can meet these: a database or Redis outage answers 503 with Retry-After.
const ALWAYS: ErrorCode[] = ["service_unavailable"];
// Every state-changing call: a body that is not JSON or is over the admin body limit, a cookie call from
// a foreign Origin.
export const WRITE_ERRORS: ErrorCode[] = [
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
  "csrf_rejected",
];
export const SESSION_ERRORS: ErrorCode[] = ["session_required"];

/** The errors of a state-changing call behind a session: those every such call can meet, then its own. */
export function sessionWriteErrors(codes: ErrorCode[], notes: Partial<Record<number, string>> = {}) {
  return errorResponses([...SESSION_ERRORS, ...WRITE_ERRORS, ...codes], notes);
}

/**
 * The error responses of one operation, grouped by the status each code has in the error table, each
 * with its codes as an enum, so a generated client can switch on them.
 */
export function errorResponses(codes: ErrorCode[], notes: Partial<Record<number, string>> = {}) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, ...ALWAYS]) {
    const status = errorStatus[code];
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const responses: Record<
    number,
    { description: string; content: { "application/json": { schema: z.ZodType } } }
  > = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const schema = z.object({
      error: z.object({
        message: z.string(),
        type: z.literal(errorTypeFor(status)),
        code: z.enum(list as [ErrorCode, ...ErrorCode[]]),
        param: z.string().optional().meta({ description: "The field at fault, when one is" }),
      }),
    });
    const note = notes[status];
    responses[status] = {
      description: note ? `${list.join(", ")}: ${note}` : list.join(", "),
      ...jsonBody(schema),
    };
  }
  return responses;
}

const DESCRIPTION = `Accounts, console sessions and API keys for an OpenAI-compatible AI API.

Authentication: a console session, sent as the \`keyward_session\` cookie (HttpOnly, set by \`POST /admin/sessions\`)
or as \`Authorization: Bearer <session token>\`. API keys never work here. A state-changing call made with the
cookie must carry keyward's own Origin (its PUBLIC_URL's, as the bundled console and this page's "Try it out" do) or
one listed in CONSOLE_ORIGINS, else 403 \`csrf_rejected\`.

Pages the emails link to, served by the bundled console (CONSOLE_URL, by default PUBLIC_URL + \`/console\`):
- \`CONSOLE_URL/verify-email?token=…\` (verification email): calls \`POST /admin/accounts/verify\` with \`{token}\`.
- \`CONSOLE_URL/reset-password?token=…\` (password-reset email): asks for a new password, then calls
  \`POST /admin/accounts/password-reset/confirm\` with \`{token, password}\`.
- \`CONSOLE_URL/confirm-email?token=…\` (email-change link, sent to the new address): calls
  \`POST /admin/me/email/confirm\` with \`{token}\`.
- \`CONSOLE_URL/keys\` (rotation reminder): the key list, \`GET /admin/keys\`.`;

export function generateOpenApiDocument(publicUrl: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "keyward admin API", version: "1.0.0", description: DESCRIPTION },
    servers: [{ url: publicUrl }],
    tags: [
      { name: "accounts", description: "Sign up, verify an email address, reset a password" },
      { name: "sessions", description: "Log in and out of the console" },
      { name: "me", description: "The logged-in account" },
      { name: "keys", description: "API keys: create, list, rename, rotate, revoke, usage" },
      { name: "permissions", description: "What an API key may be allowed to do" },
      { name: "audit-events", description: "What happened to the account, newest first" },
      { name: "usage", description: "Requests and tokens per day, key and model, as JSON or CSV" },
    ],
  });
}
