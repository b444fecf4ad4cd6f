import { Router } from "express";
import { withTimeout } from "../../time/with-timeout.js";
import type { AppDeps } from "../deps.js";

export function healthRouter(deps: AppDeps): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    if (deps.isStopping?.()) {
      res.status(503).json({ status: "stopping" });
      return;
    }
    const [postgres, redis] = await Promise.all([
      withTimeout(deps.database.sql`select 1`, 2_000).then(
        () => true,
        () => false,
      ),
      withTimeout(deps.redis.ping(), 2_000).then(
        () => true,
        () => false,
      ),
    ]);
    res.status(postgres && redis ? 200 : 503).json({
      status: postgres && redis ? "ready" : "unavailable",
      postgres: postgres ? "up" : "down",
      redis: redis ? "up" : "down",
    });
  });
  return router;
}
