import { Router } from "express";
import { z } from "zod";
import { AuditEventSchema, EVENT_ID_PATTERN, listAuditEvents } from "../../audit/list-audit-events.js";
import { PageQuery } from "../../keys/key-schemas.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, SESSION_ERRORS, sessionSecurity } from "../openapi-registry.js";
import { checkCursor } from "../pagination.js";
import { route } from "../routing.js";
import { authOf, requireSession } from "../session-auth.js";
import { parseQuery } from "../validate.js";

const AuditEventListResponse = z.object({
  data: z.array(AuditEventSchema),
  next_cursor: z.string().nullable(),
});

/** GET /admin/audit-events: the signed-in account's own events, newest first. */
export function auditEventsRouter(deps: AppDeps): Router {
  const router = Router();
  router.use(requireSession(deps));
  route(router, "/", {
    get: async (req, res) => {
      const query = parseQuery(PageQuery, req.query);
      checkCursor(query.cursor, EVENT_ID_PATTERN);
      const page = await listAuditEvents(deps.database.db, { accountId: authOf(res).account.id, ...query });
      res.json({ data: page.data, next_cursor: page.nextCursor });
    },
  });
  return router;
}

registry.registerPath({
  method: "get",
  path: "/admin/audit-events",
  operationId: "listAuditEvents",
  summary: "What happened to the signed-in account, newest first",
  description:
    "Actions: session.created, login.failed, second_factor.failed, recovery_code.used, totp.enabled, totp.disabled, session.ended, sessions.ended_others, email.change_requested, email.changed, password.changed, password.reset, key.created, key.renamed, key.models_changed, key.token_limit_changed, key.rotated, key.revoked (and account.deleted, which no session can read). Failed logins carry the client's IP, never what was typed.",
  tags: ["audit-events"],
  security: sessionSecurity,
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of events",
      ...jsonBody(AuditEventListResponse),
    },
    ...errorResponses([...SESSION_ERRORS, "validation_failed", "invalid_cursor"]),
  },
});
