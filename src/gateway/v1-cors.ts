import type { IncomingMessage, ServerResponse } from "node:http";

// CORS for /v1, for the browser origins in V1_CORS_ORIGINS (none by default), so that a browser app
// can call the API with the OpenAI SDK (`dangerouslyAllowBrowser`). API keys travel in headers, never
// in cookies, so credentials are not allowed. The SDK sends headers of its own (x-stainless-*), so a
// preflight is answered with the headers it asks for; the route table and the key check still decide
// everything about the request itself.

const EXPOSED = [
  "x-request-id",
  "retry-after",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens",
].join(", ");
// A header-name list, nothing else, may be echoed back.
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

export interface V1Cors {
  /**
   * Answers a CORS preflight (true): with permission for an allowed origin, without any for another
   * one; anything else is left to the gateway (false).
   */
  preflight(req: IncomingMessage, res: ServerResponse): boolean;
  /** Marks an answer readable by an allowed origin. */
  allow(req: IncomingMessage, res: ServerResponse): void;
}

/** With no origin listed, /v1 gives no permission to any: preflights get none, answers no CORS header. */
export function createV1Cors(origins: readonly string[]): V1Cors {
  const allowed = new Set(origins);
  const allowedOrigin = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin !== undefined && allowed.has(origin) ? origin : undefined;
  };
  return {
    preflight(req, res) {
      if (
        req.method !== "OPTIONS" ||
        req.headers.origin === undefined ||
        req.headers["access-control-request-method"] === undefined
      )
        return false;
      res.setHeader("vary", "Origin, Access-Control-Request-Headers");
      res.statusCode = 204;
      const origin = allowedOrigin(req);
      // Another origin's preflight gets an answer with no permission in it, as on /admin, and the
      // browser stops there. It is not a call, so it is neither routed nor refused: a 405 or a 404
      // would describe an OPTIONS request that the page never made.
      if (origin === undefined) {
        res.end();
        return true;
      }
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-methods", "GET, POST");
      const asked = req.headers["access-control-request-headers"];
      if (asked !== undefined && HEADER_LIST.test(asked))
        res.setHeader("access-control-allow-headers", asked);
      res.setHeader("access-control-max-age", "600");
      res.end();
      return true;
    },
    allow(req, res) {
      if (allowed.size === 0) return;
      res.setHeader("vary", "Origin");
      const origin = allowedOrigin(req);
      if (origin === undefined) return;
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", EXPOSED);
    },
  };
}
