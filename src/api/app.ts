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
import { bundledConsoleDir, consoleRouter } from "./routes/console.js";
import { healthRouter } from "./routes/health.js";
import { metricsRouter } from "./routes/metrics.js";
import { clientIpOf, createV1Lane, dispatchV1First } from "./routes/v1.js";

/** The web process's express app, not listening: the entry point or a test decides where it runs. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.config.trustProxyHops);
  app.set("etag", false);

  app.use(requestContext(deps));
  const metrics = createMetrics({ queues: queuesOf(deps) });
  app.use(recordHttpMetrics(metrics));
  app.use(helmet());
  app.use(healthRouter(deps));
  app.use(metricsRouter(deps, metrics));

  app.use("/admin", consoleCors(deps.config.consoleOrigins), adminRouter(deps));
  app.use(
    consoleRouter(deps.config.consoleDir ?? bundledConsoleDir(), {
      rereadIndex: deps.config.nodeEnv === "development",
    }),
  );

  app.use((req, _res) => {
    throw new AppError("not_found", `Unknown path: ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger));
  // /v1 never reaches express: see the lane's comment.
  dispatchV1First(app, createV1Lane(deps, metrics, clientIpOf(app, deps.config.trustProxyHops)));
  return app;
}

function queuesOf(deps: AppDeps): Record<string, Queue> {
  const queues: Record<string, Queue> = { email: deps.emailQueue };
  if (deps.maintenanceQueue) queues.maintenance = deps.maintenanceQueue;
  return queues;
}
