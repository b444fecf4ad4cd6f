import { Router } from "express";
import { z } from "zod";
import type { UpstreamSet } from "../../upstreams/upstream-set.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, jsonBody, registry, SESSION_ERRORS, sessionSecurity } from "../openapi-registry.js";
import { route } from "../routing.js";
import { requireSession } from "../session-auth.js";

// GET /admin/models: the models the gateway serves, what a key's `models` are chosen from in the
// console. The same union /v1/models answers, from memory, for a session rather than an API key.

export const ModelsResponse = z.object({
  data: z.array(
    z.object({
      id: z.string().meta({ example: "vllm-primary" }),
      owned_by: z
        .string()
        .meta({ description: "As the upstream reports it (`keyward` for a model listed in UPSTREAMS)." }),
    }),
  ),
});

export function modelsRouter(deps: AppDeps & { upstreams: UpstreamSet }): Router {
  const router = Router();
  router.use(requireSession(deps));
  const { registry: models } = deps.upstreams;
  route(router, "/", {
    get: async (_req, res) => {
      // Right after start the upstreams' lists may still be under way: wait for the first look.
      await models.ready();
      res.json({ data: models.list().map((m) => ({ id: m.id, owned_by: m.owned_by })) });
    },
  });
  return router;
}

registry.registerPath({
  method: "get",
  path: "/admin/models",
  operationId: "listModels",
  summary: "The models the gateway serves, to choose a key's models from",
  description:
    "The union of every upstream's models, each once: what `GET /v1/models` answers to a key that may use every model.",
  tags: ["keys"],
  security: sessionSecurity,
  responses: {
    200: { description: "The models", ...jsonBody(ModelsResponse) },
    ...errorResponses(SESSION_ERRORS),
  },
});
