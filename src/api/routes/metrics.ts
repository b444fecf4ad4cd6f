import { type Request, type Response, Router } from "express";
import { AppError } from "../../errors/app-error.js";
import { bearerToken } from "../../http/bearer.js";
import type { Metrics } from "../../metrics/metrics.js";
import { hashesEqual, hashSecret } from "../../secrets/secrets.js";
import type { AppDeps } from "../deps.js";
import { route } from "../routing.js";

/** Prometheus text at /metrics; guarded by `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
export function metricsRouter(deps: AppDeps, metrics: Metrics): Router {
  const router = Router();
  const expected = deps.config.metricsToken ? hashSecret(deps.config.metricsToken) : undefined;
  route(router, "/metrics", { get: scrape });
  return router;

  async function scrape(req: Request, res: Response): Promise<void> {
    if (expected) {
      const given = bearerToken(req.headers.authorization);
      // Compared as hashes in constant time, so timing says nothing about the token.
      if (!given || !hashesEqual(hashSecret(given), expected)) {
        throw new AppError("invalid_credentials", "A valid metrics token is required", {
          headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
        });
      }
    }
    const body = await metrics.registry.metrics();
    res.setHeader("Content-Type", metrics.registry.contentType);
    res.setHeader("Cache-Control", "no-store");
    res.send(body);
  }
}
