import type { z } from "zod";
import { AppError } from "../errors/app-error.js";
import { invalidField } from "./refusals.js";

/**
 * Parses input with a zod schema or throws a 400 validation_failed naming the first field at fault.
 * Body schemas are strict objects, so an unknown field (mass assignment) is refused by name.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // No body at all reads as an empty object; a body of `null` is JSON, just not an object.
  const result = schema.safeParse(input === undefined ? {} : input, { error: plainWords });
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
  const result = schema.safeParse(query, { error: plainWords });
  if (result.success) return result.data;
  const key = result.error.issues[0]?.path[0];
  if (typeof key === "string" && Array.isArray(query[key])) {
    throw invalidField(key, "must be given once");
  }
  return parseInput(schema, query);
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

/**
 * What zod says of a value of the wrong type or size, in the words the schemas' own messages use
 * ("must be …"), where its defaults read "Invalid input: expected int, received number". A schema's
 * own message still wins; anything else keeps zod's words.
 */
function plainWords(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      // The body itself (a JSON array, a string, null): no field to name.
      if (!issue.path?.length && issue.expected === "object") return "Request body must be a JSON object";
      return TYPE_WORDS[issue.expected] ? `must be ${TYPE_WORDS[issue.expected]}` : undefined;
    case "too_small":
    case "too_big":
      return sizeWords(issue);
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return undefined;
  }
}

function sizeWords(
  issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>,
): string | undefined {
  const small = issue.code === "too_small";
  const bound = small
    ? (issue as z.core.$ZodIssueTooSmall).minimum
    : (issue as z.core.$ZodIssueTooBig).maximum;
  switch (issue.origin) {
    case "number":
    case "int":
      if (issue.inclusive === false) return `must be ${small ? "greater" : "less"} than ${bound}`;
      return `must be at ${small ? "least" : "most"} ${bound}`;
    case "string":
      if (issue.exact) return `must be exactly ${bound} characters`;
      if (small && bound === 1) return "must not be empty";
      return `must be at ${small ? "least" : "most"} ${bound} characters`;
    case "array":
      if (issue.exact) return `must list exactly ${bound}`;
      return `must list at ${small ? "least" : "most"} ${bound}`;
    default:
      return undefined;
  }
}
