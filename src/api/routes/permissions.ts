import { Router } from "express";
import { V1_ROUTES } from "../../gateway/routes.js";
import { PermissionsResponse } from "../../keys/key-schemas.js";
import { PERMISSIONS } from "../../keys/permissions.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, SESSION_ERRORS, sessionSecurity } from "../openapi-registry.js";
import { route } from "../routing.js";
import { requireSession } from "../session-auth.js";

/** GET /admin/permissions: the catalog a key's permissions are chosen from. */
export function permissionsRouter(deps: AppDeps): Router {
  const router = Router();
  router.use(requireSession(deps));
  const data = PERMISSIONS.map(({ id, description }) => ({
    id,
    description,
    routes: V1_ROUTES.filter((r) => r.permission === id).map((r) => `${r.method} ${r.path}`),
  }));
  route(router, "/", { get: (_req, res) => void res.json({ data }) });
  return router;
}

registry.registerPath({
  method: "get",
  path: "/admin/permissions",
  operationId: "listPermissions",
  summary: "The permissions an API key can hold",
  tags: ["permissions"],
  security: sessionSecurity,
  responses: {
    200: { description: "The catalog", ...jsonBody(PermissionsResponse) },
    ...errorResponses(SESSION_ERRORS),
  },
});
