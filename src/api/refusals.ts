import { AppError } from "../errors/app-error.js";
import type { IdentityRefusal } from "../totp/confirm-identity.js";

// The refusals more than one admin route answers with, each worded once.

/** The 429 of the account endpoints' abuse limits, with Retry-After in whole seconds. */
export function rateLimited(
  retryAfterSeconds: number,
  message = "Too many requests; try again later",
): AppError {
  return new AppError("rate_limit_exceeded", message, {
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

/**
 * A 400 validation_failed for one field's value, worded as parseInput words a schema's refusal:
 * "field: problem", so that every message names the field it is about.
 */
export function invalidField(param: string, problem: string): AppError {
  return new AppError("validation_failed", `${param}: ${problem}`, { param });
}

export function wrongPassword(param = "password"): AppError {
  return new AppError("invalid_credentials", "Password is incorrect", { param });
}

export function invalidCode(param = "code"): AppError {
  return new AppError("invalid_code", "The code is wrong, expired or already used", { param });
}

export function secondFactorUnavailable(): AppError {
  return new AppError(
    "service_unavailable",
    "Two-factor codes cannot be checked right now (the server's TOTP_ENCRYPTION_KEY is missing or changed); use a recovery code",
  );
}

/**
 * The refusal of a password, and a code where one was due, asked again before a sensitive change
 * (accounts/reauthenticate.ts, totp/confirm-identity.ts).
 */
export function identityRefused(check: IdentityRefusal): AppError {
  switch (check.reason) {
    case "rate_limited":
      return rateLimited(check.retryAfterSeconds);
    case "invalid_credentials":
      return wrongPassword();
    case "invalid_code":
      return invalidCode();
    case "unavailable":
      return secondFactorUnavailable();
  }
}
