import type { Queue } from "bullmq";
import express, { type Express } from "express";
import helmet from "helmet";
import { AppError } from "../errors/app-error.js";
import { recordHttpMetrics } from "../metrics/http-metrics.js";
import { createMetrics } from "../metrics/metrics.js";
import { consoleCors } from "./console-cors.js";
import type { AppDeps } from "./deps.js";
import { errorHandler } from "./error-handler.js";
import { requestContext } from "./request-context.js";
import { adminRouter } from "./routes/admin.js";
import { healthRouter } from "./routes/health.js";
import { metricsRouter } from "./routes/metrics.js";
import { dispatchV1First, v1Router } from "./routes/v1.js";

/** The web process's express app, not listening: the entry point or a test decides where it runs. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.config.trustProxyHops);
  app.set("etag", false);

  const context = requestContext(deps);
  app.use(context);
  const metrics = createMetrics({ queues: queuesOf(deps) });
  const httpMetrics = recordHttpMetrics(metrics);
  app.use(httpMetrics);
  // /v1 first, before helmet and the routers (see v1Router); it streams bodies to the upstream
  // untouched, so it also comes before any body parser. dispatchV1First (below) sends /v1 requests
  // straight to these three handlers, past express's router.
  const v1 = v1Router(deps);
  app.use(v1);
  app.use(helmet());
  app.use(healthRouter(deps));
  app.use(metricsRouter(deps, metrics));

  app.use("/admin", consoleCors(deps.config.consoleOrigins), adminRouter(deps));

  app.use((req, _res) => {
    throw new AppError("not_found", `Unknown path: ${req.method} ${req.path}`);
  });
  const onError = errorHandler(deps.logger);
  app.use(onError);
  dispatchV1First(app, { context, metrics: httpMetrics, v1, onError });
  return app;
}

function queuesOf(deps: AppDeps): Record<string, Queue> {
  const queues: Record<string, Queue> = { email: deps.emailQueue };
  if (deps.maintenanceQueue) queues.maintenance = deps.maintenanceQueue;
  return queues;
}
