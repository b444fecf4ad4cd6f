import type { ErrorRequestHandler } from "express";
import { loggableError } from "../errors/loggable-error.js";
import { renderError } from "../http/errors.js";
import type { Logger } from "../logging/logger.js";

/** Express's last middleware: every error in the contract's shape (see http/errors.ts). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.writableEnded) {
      // Answered already (503 at an admin call's deadline): what its work did afterwards is only logged.
      (req.log ?? logger).info(
        { err: loggableError(err), method: req.method, path: req.baseUrl + req.path },
        "request failed after it was answered",
      );
      return;
    }
    renderError(res, err, req.log ?? logger);
  };
}
