import { AppError } from "../errors/app-error.js";

/** The 429 of the account endpoints' abuse limits, with Retry-After in whole seconds. */
export function rateLimited(
  retryAfterSeconds: number,
  message = "Too many requests; try again later",
): AppError {
  return new AppError("rate_limit_exceeded", message, {
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}
