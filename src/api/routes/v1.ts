import { Router } from "express";
import type { AppDeps } from "../deps.js";

/** The /v1 gateway: authenticate the key, check permission and rate limit, stream to the upstream. */
export function v1Router(_deps: AppDeps): Router {
  const router = Router();
  return router;
}
