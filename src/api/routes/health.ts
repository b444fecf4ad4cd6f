import { Router } from "express";
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
      withTimeout(
        deps.database.sql`select 1`.then(() => true),
        2_000,
      ),
      withTimeout(
        deps.redis.ping().then(() => true),
        2_000,
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

function withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
