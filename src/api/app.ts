import type { RequestListener } from "node:http";
import type { Queue } from "bullmq";
import express, { type Express } from "express";
import helmet from "helmet";
import { AppError } from "../errors/app-error.js";
import type { Ablation } from "../gateway/ablation.js";
import { createGateway } from "../gateway/gateway.js";
import { createGatewayHandler } from "../gateway/gateway-handler.js";
import { isOtherGatewayTarget, isV1Target } from "../gateway/routes.js";
import { createV1Cors } from "../gateway/v1-cors.js";
import { clientIpReader, trustedProxies } from "../http/client-ip.js";
import { createExchanges, type Exchanges } from "../http/exchange.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { watchUpstreams } from "../upstreams/upstream-metrics.js";
import { createUpstreamSet, type UpstreamSet } from "../upstreams/upstream-set.js";
import { consoleCors } from "./console-cors.js";
import type { AppDeps } from "./deps.js";
import { errorHandler } from "./error-handler.js";
import { requestContext } from "./request-context.js";
import { adminRouter } from "./routes/admin.js";
import { bundledConsoleDir, consoleRouter } from "./routes/console.js";
import { healthRouter } from "./routes/health.js";
import { metricsRouter } from "./routes/metrics.js";

/** The web process's two front doors, not listening: the entry point or a test decides where. */
export interface WebApp {
  /** What the HTTP server calls: /v1 goes to the gateway, everything else to express. */
  handle: RequestListener;
  express: Express;
  /** The upstreams behind /v1 (the entry point reloads UPSTREAMS_FILE into them on SIGHUP). */
  upstreams: UpstreamSet;
  /**
   * Once the server has stopped: hands the /v1 usage still in memory (counts kept through a Redis
   * outage, a turn still out) to Redis, waiting at most `timeoutMs`. False when some is lost.
   */
  handOverUsage(timeoutMs: number): Promise<boolean>;
}

/** `ablation` is for the benchmark alone (src/gateway/ablation.ts). */
export function createApp(deps: AppDeps, ablation: Ablation = {}): WebApp {
  const metrics = createMetrics({ queues: queuesOf(deps) });
  const exchanges = createExchanges({
    logger: deps.logger,
    metrics,
    clientIp: clientIpReader(deps.config.trustProxyHops),
  });
  const upstreams = deps.upstreams ?? startUpstreams(deps);
  const app = createExpressApp({ ...deps, upstreams }, metrics, exchanges);
  watchUpstreams(metrics.registry, upstreams);
  const gatewayCore = createGateway({ ...deps, upstreams }, ablation);
  const gateway = createGatewayHandler({
    gateway: gatewayCore,
    exchanges,
    metrics,
    logger: deps.logger,
    ablation,
    upstreams,
    cors: createV1Cors(deps.config.v1CorsOrigins),
  });
  return {
    handle: (req, res) => {
      const url = req.url ?? "";
      if (isV1Target(url) || isOtherGatewayTarget(url)) gateway(req, res);
      else app(req, res);
    },
    express: app,
    upstreams,
    handOverUsage: (timeoutMs) => gatewayCore.handOverUsage(timeoutMs),
  };
}

/** The configured upstreams, their models learned now and every 30 s, their health probed, in the background. */
function startUpstreams(deps: AppDeps): UpstreamSet {
  const upstreams = createUpstreamSet(deps.config, { clock: deps.clock, logger: deps.logger });
  upstreams.start();
  return upstreams;
}

/** Everything but /v1: health, metrics and the console's /admin API. */
function createExpressApp(
  deps: AppDeps & { upstreams: UpstreamSet },
  metrics: Metrics,
  exchanges: Exchanges,
): Express {
  const app = express();
  app.disable("x-powered-by");
  // The rule of http/client-ip.ts, so that X-Forwarded-Proto is believed exactly when the address
  // is; routes read the client's address as req.clientIp (request-context.ts), not req.ip.
  app.set("trust proxy", trustedProxies(deps.config.trustProxyHops));
  app.set("etag", false);

  app.use(requestContext(exchanges, deps.logger));
  app.use(helmet());
  app.use(healthRouter(deps));
  app.use(metricsRouter(deps, metrics));

  app.use("/admin", consoleCors(deps.config.consoleOrigins), adminRouter(deps));
  app.use(
    consoleRouter(deps.config.consoleDir ?? bundledConsoleDir(), {
      liveReload: deps.config.consoleLiveReload,
    }),
  );

  app.use((req, _res) => {
    throw new AppError("not_found", `Unknown path: ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.logger));
  return app;
}

function queuesOf(deps: AppDeps): Record<string, Queue> {
  const queues: Record<string, Queue> = { email: deps.emailQueue };
  if (deps.maintenanceQueue) queues.maintenance = deps.maintenanceQueue;
  return queues;
}
