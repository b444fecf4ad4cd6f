import type { ErrorRequestHandler } from "express";
import { renderError } from "../http/errors.js";
import type { Logger } from "../logging/logger.js";

/** Express's last middleware: every error in the contract's shape (see http/errors.ts). */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => renderError(res, err, req.log ?? logger);
}
