import type { z } from "zod";
import { AppError } from "../errors/app-error.js";
import { invalidField } from "./refusals.js";

/**
 * Parses input with a zod schema or throws a 400 validation_failed naming the first field at fault.
 * Body schemas are strict objects, so an unknown field (mass assignment) is refused by name.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // No body at all reads as an empty object; a body of `null` is JSON, just not an object.
  const result = schema.safeParse(input === undefined ? {} : input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new AppError("validation_failed", "Invalid request");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    throw new AppError("validation_failed", `Unknown field: ${key}`, { param: key });
  }
  const param = issue.path.length > 0 ? issue.path.map(String).join(".") : undefined;
  const message = param ? `${param}: ${issue.message}` : issue.message;
  throw new AppError("validation_failed", message, param ? { param } : {});
}

/**
 * Parses a query string's parameters like parseInput, saying so when a parameter the schema knows was
 * given more than once (`?from=a&from=b`, which express reads as a list): the schema alone would only
 * say it expected a string.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const key = result.error.issues[0]?.path[0];
  if (typeof key === "string" && Array.isArray(query[key])) {
    throw invalidField(key, "must be given once");
  }
  return parseInput(schema, query);
}
