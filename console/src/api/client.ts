import createClient from "openapi-fetch";
import { apiRoot } from "../router";
import type { components, paths } from "./schema";

// The one client every screen calls the admin API with, typed from /admin/openapi.json. Same origin:
// the HttpOnly session cookie travels by itself, and no token is ever kept by the page.

export type Key = components["schemas"]["ApiKey"];
export type Account = components["schemas"]["Account"];

export const api = createClient<paths>({ baseUrl: apiRoot(), credentials: "same-origin" });

export interface ApiError {
  status: number;
  code: string;
  message: string;
  param?: string;
}

export type Result<T> = { ok: true; data: T } | { ok: false; error: ApiError };

let onSessionExpired: () => void = () => {};

/** Where an expired session sends the person: the app sets this to "Log in, then come back here". */
export function whenSessionExpires(handler: () => void): void {
  onSessionExpired = handler;
}

/**
 * Runs a client call and returns its data or the API's error, in the API's own words. A failure to
 * reach the server at all becomes an error too, so every screen can offer a retry the same way.
 */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Result<T>> {
  let outcome: { data?: T; error?: unknown; response: Response };
  try {
    outcome = await request;
  } catch {
    return {
      ok: false,
      error: {
        status: 0,
        code: "network_error",
        message: "keyward could not be reached. Check your connection.",
      },
    };
  }
  const { data, error, response } = outcome;
  if (response.ok) return { ok: true, data: data as T };
  const body = (error as { error?: Partial<ApiError> } | undefined)?.error;
  const apiError: ApiError = {
    status: response.status,
    code: body?.code ?? "unknown_error",
    message: body?.message ?? `The server answered ${response.status}.`,
    ...(body?.param ? { param: body.param } : {}),
  };
  if (apiError.code === "session_required") onSessionExpired();
  return { ok: false, error: apiError };
}

/**
 * An email's link without its token (cut short by a mail client, or copied in part): said in words
 * without asking the API, whose answer would name its schema's rule.
 */
export const INCOMPLETE_LINK: ApiError = {
  status: 400,
  code: "invalid_token",
  message: "This link is incomplete. Open the whole link from the email.",
};

/** An error that belongs beside a form field: validation_failed naming one of the form's fields. */
export function fieldError(error: ApiError | null, field: string): string | undefined {
  if (!error || error.param !== field) return undefined;
  // The API prefixes the message with the field name ("name: must be …"); the label already says it.
  return error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
}
