import { AppError } from "../errors/app-error.js";
import type { Permission } from "../keys/permissions.js";

// The closed table of /v1 routes the gateway forwards. Anything else is answered 404 here and never
// reaches the upstream, so no client input can pick another upstream path or host.

export interface RouteEntry {
  /** Names the route in metrics ("/v1/models/:id"), never with a value from the request. */
  pattern: string;
  method: "GET" | "POST";
  permission: Permission;
  /**
   * "upstream": forwarded to an upstream serving the body's model; "model_list" and "model": answered
   * by keyward from the models it knows; "stored_response": a Responses API id, sent to the upstream
   * that holds it (forward-by-response-id.ts).
   */
  answer: "upstream" | "model_list" | "model" | "stored_response";
  /** Where the upstream serves it, when not at the same path (vLLM's tokenizer routes are at its root). */
  upstreamAt?: string;
}

const post = (pattern: string, permission: Permission, upstreamAt?: string): RouteEntry => ({
  pattern,
  method: "POST",
  permission,
  answer: "upstream",
  upstreamAt,
});

/**
 * Routes whose path is fixed, by path: vLLM's OpenAI-compatible routes. Text generation needs
 * chat:read, pooling models embeddings:read, listing models:list (README, "Routes and permissions").
 */
const FIXED_ROUTES: Record<string, RouteEntry> = {
  "/v1/chat/completions": post("/v1/chat/completions", "chat:read"),
  "/v1/completions": post("/v1/completions", "chat:read"),
  "/v1/responses": post("/v1/responses", "chat:read"),
  "/v1/audio/transcriptions": post("/v1/audio/transcriptions", "chat:read"),
  "/v1/audio/translations": post("/v1/audio/translations", "chat:read"),
  "/v1/tokenize": post("/v1/tokenize", "chat:read", "/tokenize"),
  "/v1/detokenize": post("/v1/detokenize", "chat:read", "/detokenize"),
  "/v1/embeddings": post("/v1/embeddings", "embeddings:read"),
  "/v1/rerank": post("/v1/rerank", "embeddings:read"),
  "/v1/score": post("/v1/score", "embeddings:read"),
  // vLLM serves these two at its root only.
  "/v1/classify": post("/v1/classify", "embeddings:read", "/classify"),
  "/v1/pooling": post("/v1/pooling", "embeddings:read", "/pooling"),
  "/v1/models": { pattern: "/v1/models", method: "GET", permission: "models:list", answer: "model_list" },
};
/** The routes whose bodies are audio files (multipart): PROXY_AUDIO_BODY_LIMIT_BYTES is their limit. */
const AUDIO_UPLOADS = new Set(["/v1/audio/transcriptions", "/v1/audio/translations"]);
export const isAudioUpload = (pattern: string): boolean => AUDIO_UPLOADS.has(pattern);

/**
 * vLLM's routes outside /v1 that keyward serves at the same path: /v2/rerank, the rerank in Cohere's v2
 * shape (what Cohere's client calls), the same pooling models as /v1/rerank.
 */
const OUTSIDE_V1: Record<string, RouteEntry> = {
  "/v2/rerank": post("/v2/rerank", "embeddings:read"),
};
/** `/v1/responses/<id>` (GET) and `/v1/responses/<id>/cancel` (POST): no model in them to route by. */
const STORED_RESPONSE: RouteEntry = {
  pattern: "/v1/responses/:id",
  method: "GET",
  permission: "chat:read",
  answer: "stored_response",
};
const CANCEL_RESPONSE: RouteEntry = {
  ...STORED_RESPONSE,
  pattern: "/v1/responses/:id/cancel",
  method: "POST",
};
// vLLM's ids are `resp_` and hex; anything else would be a path no upstream could hold.
const RESPONSE_PATH = /^\/v1\/responses\/([A-Za-z0-9_-]{1,200})(\/cancel)?$/;

/** `/v1/models/<model id>`, for the ids isSafeModelId accepts. */
const MODEL_ROUTE: RouteEntry = {
  pattern: "/v1/models/:id",
  method: "GET",
  permission: "models:list",
  answer: "model",
};

/** The route table as documentation reads it: `GET /admin/permissions` lists it per permission. */
export const V1_ROUTES: readonly { method: string; path: string; permission: Permission }[] = [
  ...Object.values(FIXED_ROUTES),
  MODEL_ROUTE,
  STORED_RESPONSE,
  CANCEL_RESPONSE,
  ...Object.values(OUTSIDE_V1),
].map(({ method, pattern, permission }) => ({ method, path: pattern, permission }));

/**
 * The upstream path is the client's path and query, unchanged once the path is in the table (or moved
 * to where the upstream serves it); `modelId` is the decoded id of /v1/models/:id.
 */
export type ForwardRoute = {
  kind: "forward";
  upstreamPath: string;
  modelId?: string;
  /** The id of /v1/responses/:id and its cancel. */
  responseId?: string;
} & RouteEntry;

export type V1Route =
  | ForwardRoute
  | { kind: "unknown_endpoint" }
  | { kind: "method_not_allowed"; pattern: string; allow: string };

/**
 * True for `/v1`, `/v1/…` and `/v1?…`, in any case: the targets the web app sends to the gateway
 * (what express's `app.use("/v1")` would match). Checked by hand: it runs for every request.
 */
export function isV1Target(url: string): boolean {
  if (url.length < 3 || url.charCodeAt(0) !== 47 || url.charCodeAt(2) !== 49) return false; // "/", "1"
  const v = url.charCodeAt(1);
  if (v !== 118 && v !== 86) return false; // "v", "V"
  if (url.length === 3) return true;
  const next = url.charCodeAt(3);
  return next === 47 || next === 63; // "/", "?"
}

/** The targets outside /v1 the gateway serves too (OUTSIDE_V1); checked only for what is not /v1. */
export function isOtherGatewayTarget(url: string): boolean {
  return url === "/v2/rerank" || url.startsWith("/v2/rerank?");
}

// Model ids such as `meta-llama/Llama-3.1-8B` may hold slashes (raw or as %2F). Raw characters are
// limited to unreserved ones and percent escapes; the decoded id may not contain a dot segment or a
// backslash, so nothing between here and the upstream can normalise the path out of /v1/models.
const RAW_MODEL_ID = /^[A-Za-z0-9._~:@+%-]+(?:\/[A-Za-z0-9._~:@+%-]+)*$/;
const DECODED_MODEL_ID = /^[A-Za-z0-9._~:@+-]+(?:\/[A-Za-z0-9._~:@+-]+)*$/;

function isSafeModelId(raw: string): boolean {
  if (!RAW_MODEL_ID.test(raw)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return false;
  }
  if (!DECODED_MODEL_ID.test(decoded)) return false;
  return decoded.split("/").every((segment) => segment !== "." && segment !== "..");
}

/** Resolves a request-target (origin-form, as the client sent it) to the route it may take. */
export function resolveV1Route(method: string, requestTarget: string): V1Route {
  const queryAt = requestTarget.indexOf("?");
  const path = queryAt === -1 ? requestTarget : requestTarget.slice(0, queryAt);
  // Absolute-form targets (`GET http://host/v1/...`) and anything not under /v1/ are refused outright.
  if (!requestTarget.startsWith("/v1/")) {
    const outside = OUTSIDE_V1[path];
    if (!outside) return { kind: "unknown_endpoint" };
    if (method !== outside.method)
      return { kind: "method_not_allowed", pattern: outside.pattern, allow: outside.method };
    return { kind: "forward", ...outside, upstreamPath: requestTarget };
  }
  const stored = path.startsWith("/v1/responses/") ? RESPONSE_PATH.exec(path) : null;
  const entry =
    FIXED_ROUTES[path] ??
    (stored ? (stored[2] ? CANCEL_RESPONSE : STORED_RESPONSE) : undefined) ??
    (path.startsWith("/v1/models/") && isSafeModelId(path.slice("/v1/models/".length))
      ? MODEL_ROUTE
      : undefined);
  if (!entry) return { kind: "unknown_endpoint" };
  if (method !== entry.method)
    return { kind: "method_not_allowed", pattern: entry.pattern, allow: entry.method };
  if (entry.answer === "model") {
    const modelId = decodeURIComponent(path.slice("/v1/models/".length));
    return { kind: "forward", ...entry, upstreamPath: requestTarget, modelId };
  }
  if (stored) return { kind: "forward", ...entry, upstreamPath: requestTarget, responseId: stored[1] };
  const upstreamPath = entry.upstreamAt ? entry.upstreamAt + requestTarget.slice(path.length) : requestTarget;
  return { kind: "forward", ...entry, upstreamPath };
}

/** The answer to a request-target the table refused. */
export function routeRefusal(
  route: Exclude<V1Route, ForwardRoute>,
  method: string,
  target: string,
): AppError {
  const path = target.split("?")[0];
  if (route.kind === "unknown_endpoint")
    return new AppError("unknown_endpoint", `Unknown endpoint: ${method} ${path}`);
  return new AppError("method_not_allowed", `Method ${method} is not allowed on ${path}`, {
    headers: { allow: route.allow },
  });
}
