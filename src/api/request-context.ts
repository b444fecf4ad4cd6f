import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import type { AppDeps } from "./deps.js";

// A client's own request id is kept when it is sane (short, printable), so traces can be joined up;
// anything else is replaced, so that a header cannot inject into logs.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestContext(deps: AppDeps): RequestHandler {
  const http = pinoHttp({
    logger: deps.logger,
    genReqId: (req, res) => {
      const given = req.headers["x-request-id"];
      const id = typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader("x-request-id", id);
      return id;
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : "info"),
    serializers: {
      // Only what helps an operator: never headers, bodies or query strings (keys may sit there).
      // The client's address as `trust proxy` (TRUST_PROXY) decides it, not the router's.
      req: (req) => ({
        id: req.id,
        method: req.method,
        path: String(req.url).split("?")[0],
        ip: (req.raw as { ip?: string } | undefined)?.ip,
      }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
    quietReqLogger: true,
  });
  return http as unknown as RequestHandler;
}
