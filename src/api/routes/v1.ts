import { Router } from "express";
import { createUpstream } from "../../proxy/forward.js";
import { createGateway } from "../../proxy/gateway.js";
import type { AppDeps } from "../deps.js";

/** The /v1 gateway: authenticate the key, check permission and rate limit, stream to the upstream. */
export function v1Router(deps: AppDeps): Router {
  const router = Router();
  const gateway = createGateway(deps, createUpstream(deps.config));
  router.use(gateway.handle);
  return router;
}
