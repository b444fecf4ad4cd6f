import { type Request, type Response, Router } from "express";
import { withTimeout } from "../../time/with-timeout.js";
import type { AppDeps } from "../deps.js";
import { route } from "../routing.js";

export function healthRouter(deps: AppDeps): Router {
  const router = Router();
  route(router, "/healthz", {
    get: (_req, res) => {
      res.json({ status: "ok" });
    },
  });
  route(router, "/readyz", { get: readiness });
  return router;

  async function readiness(_req: Request, res: Response): Promise<void> {
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
  }
}
