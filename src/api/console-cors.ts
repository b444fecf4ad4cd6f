import cors from "cors";
import type { RequestHandler } from "express";

/**
 * CORS for the console: exactly CONSOLE_ORIGINS, with credentials. A foreign origin gets no CORS
 * header at all (the cors package alone would still send Allow-Credentials; its preflight gets a bare
 * 204), and every response says Vary: Origin, since whether the headers are there depends on it.
 */
export function consoleCors(origins: string[]): RequestHandler {
  const allowed = new Set(origins);
  const withCors = cors({
    origin: true,
    credentials: true,
    methods: ["GET", "POST", "PATCH", "DELETE"],
    allowedHeaders: ["Content-Type", "Authorization", "X-Request-Id", "Idempotency-Key"],
    exposedHeaders: ["X-Request-Id", "Retry-After", "Idempotent-Replayed"],
    maxAge: 600,
  });
  return (req, res, next) => {
    res.vary("Origin");
    const origin = req.headers.origin;
    if (origin !== undefined && allowed.has(origin)) return withCors(req, res, next);
    // A foreign origin's preflight gets an answer with no permission in it (the browser then stops):
    // the call it announces never happens, so it is not refused as unauthenticated either.
    if (req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"]) {
      res.status(204).end();
      return;
    }
    next();
  };
}
