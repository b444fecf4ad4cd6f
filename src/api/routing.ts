import type { RequestHandler, Router } from "express";
import { AppError } from "../errors/app-error.js";

type Method = "get" | "post" | "patch" | "put" | "delete";

/**
 * Registers the handlers of one path and answers any other method on it with 405 and an Allow header,
 * so that a wrong method is told apart from an unknown path.
 */
export function route(
  router: Router,
  path: string,
  handlers: Partial<Record<Method, RequestHandler | RequestHandler[]>>,
): void {
  const allowed: string[] = [];
  for (const [method, handler] of Object.entries(handlers) as [Method, RequestHandler | RequestHandler[]][]) {
    router[method](path, ...(Array.isArray(handler) ? handler : [handler]));
    allowed.push(method.toUpperCase());
  }
  if (allowed.includes("GET")) allowed.push("HEAD");
  router.all(path, (req, res) => {
    if (req.method === "OPTIONS") {
      res.setHeader("Allow", allowed.join(", "));
      res.status(204).end();
      return;
    }
    res.setHeader("Allow", allowed.join(", "));
    throw new AppError("method_not_allowed", `Method ${req.method} is not allowed on this path`);
  });
}
