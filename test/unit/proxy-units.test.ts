import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { routeLabel } from "../../src/api/request-context.js";
import { extractApiKey } from "../../src/gateway/api-key.js";
import { evaluateRateLimit, formatResetDuration } from "../../src/gateway/rate-limit.js";
import { isOtherGatewayTarget, resolveV1Route } from "../../src/gateway/routes.js";

describe("extractApiKey", () => {
  it("prefers X-API-Key over Authorization: Bearer", () => {
    expect(extractApiKey({ "x-api-key": "sk-srt-a", authorization: "Bearer sk-srt-b" })).toBe("sk-srt-a");
    expect(extractApiKey({ authorization: "Bearer sk-srt-b" })).toBe("sk-srt-b");
    expect(extractApiKey({ authorization: "bearer   sk-srt-b " })).toBe("sk-srt-b");
  });

  it("treats absent or empty headers as no key, and anything else as a key to be checked", () => {
    expect(extractApiKey({})).toBeUndefined();
    expect(extractApiKey({ "x-api-key": "  " })).toBeUndefined();
    expect(extractApiKey({ authorization: "Bearer" })).toBeUndefined();
    expect(extractApiKey({ authorization: "Basic Zm9vOmJhcg==" })).toBe("Basic Zm9vOmJhcg==");
  });
});

describe("resolveV1Route", () => {
  it("maps the contract's table to permissions", () => {
    expect(resolveV1Route("POST", "/v1/chat/completions")).toMatchObject({ permission: "chat:read" });
    expect(resolveV1Route("POST", "/v1/embeddings")).toMatchObject({ permission: "embeddings:read" });
    expect(resolveV1Route("GET", "/v1/models?limit=2")).toMatchObject({
      permission: "models:list",
      upstreamPath: "/v1/models?limit=2",
    });
    expect(resolveV1Route("GET", "/v1/models/meta-llama/Llama-3.1-8B")).toMatchObject({
      permission: "models:list",
    });
    expect(resolveV1Route("GET", "/v1/models/meta-llama%2FLlama-3.1-8B")).toMatchObject({ kind: "forward" });
    expect(resolveV1Route("GET", "/v1/chat/completions")).toEqual({
      kind: "method_not_allowed",
      pattern: "/v1/chat/completions",
      allow: "POST",
    });
    expect(resolveV1Route("GET", "/v1/models/a%2Fb?x=1")).toMatchObject({ pattern: "/v1/models/:id" });
    expect(resolveV1Route("GET", "/v1/models?limit=2")).toMatchObject({ pattern: "/v1/models" });
  });

  it("routes stored responses by their id, pooling routes to the upstream's root, and /v2/rerank", () => {
    expect(resolveV1Route("GET", "/v1/responses/resp_ab12?stream=true")).toMatchObject({
      kind: "forward",
      pattern: "/v1/responses/:id",
      permission: "chat:read",
      answer: "stored_response",
      responseId: "resp_ab12",
      upstreamPath: "/v1/responses/resp_ab12?stream=true",
    });
    expect(resolveV1Route("POST", "/v1/responses/resp_ab12/cancel")).toMatchObject({
      pattern: "/v1/responses/:id/cancel",
      responseId: "resp_ab12",
    });
    expect(resolveV1Route("DELETE", "/v1/responses/resp_ab12")).toMatchObject({
      kind: "method_not_allowed",
      allow: "GET",
    });
    expect(resolveV1Route("GET", "/v1/responses/resp_ab12/cancel")).toMatchObject({ allow: "POST" });
    for (const odd of ["/v1/responses/a.b", "/v1/responses/a/b", "/v1/responses/%2e%2e", "/v1/responses/"])
      expect(resolveV1Route("GET", odd), odd).toEqual({ kind: "unknown_endpoint" });
    expect(resolveV1Route("POST", "/v1/classify")).toMatchObject({
      permission: "embeddings:read",
      upstreamPath: "/classify",
    });
    expect(resolveV1Route("POST", "/v1/pooling?x=1")).toMatchObject({ upstreamPath: "/pooling?x=1" });
    expect(resolveV1Route("POST", "/v2/rerank")).toMatchObject({
      permission: "embeddings:read",
      upstreamPath: "/v2/rerank",
    });
    expect(resolveV1Route("GET", "/v2/rerank")).toMatchObject({ kind: "method_not_allowed" });
    expect(resolveV1Route("POST", "/v2/embeddings")).toEqual({ kind: "unknown_endpoint" });
    expect(isOtherGatewayTarget("/v2/rerank?x=1")).toBe(true);
    expect(isOtherGatewayTarget("/v2/rerankers")).toBe(false);
    expect(isOtherGatewayTarget("/admin/keys")).toBe(false);
  });

  it("never lets a forwarded path leave /v1 (no dot segments, encoded or not, no backslashes)", () => {
    const piece = fc.constantFrom(
      "..",
      ".",
      "%2e%2e",
      "%2E.",
      ".%2e",
      "%2f",
      "%5c",
      "\\",
      "/",
      "a",
      "models",
      "responses",
      "cancel",
      "v1",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.constantFrom("GET", "POST"), (parts, method) => {
        const route = resolveV1Route(method, `/v1/${parts.join("")}`);
        if (route.kind !== "forward") return;
        const decoded = decodeURIComponent(route.upstreamPath.split("?")[0] ?? "");
        expect(decoded.startsWith("/v1/")).toBe(true);
        expect(decoded.split(/[/\\]/)).not.toContain("..");
        expect(decoded.split(/[/\\]/)).not.toContain(".");
        expect(decoded).not.toContain("\\");
      }),
    );
  });
});

describe("formatResetDuration", () => {
  it("uses OpenAI's duration format", () => {
    expect(formatResetDuration(20)).toBe("20ms");
    expect(formatResetDuration(999.2)).toBe("1s");
    expect(formatResetDuration(1000)).toBe("1s");
    expect(formatResetDuration(59_001)).toBe("1m0s");
    expect(formatResetDuration(58_500)).toBe("59s");
    expect(formatResetDuration(360_000)).toBe("6m0s");
    expect(formatResetDuration(-5)).toBe("0ms");
  });
});

describe("evaluateRateLimit", () => {
  it("allows up to the limit, counting down what remains, and refuses past it until the window ends", () => {
    expect(evaluateRateLimit(3, 1, 60_000)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      msBeforeReset: 60_000,
    });
    expect(evaluateRateLimit(3, 3, 1_500)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 0,
      msBeforeReset: 1_500,
    });
    expect(evaluateRateLimit(3, 4, 1_500)).toEqual({
      allowed: false,
      limit: 3,
      remaining: 0,
      msBeforeReset: 1_500,
    });
    expect(evaluateRateLimit(3, 40, 10)).toMatchObject({ allowed: false, remaining: 0 });
  });
});

describe("routeLabel (express's side of the duration metric)", () => {
  it("names a route by its mount path and pattern, whatever the ids in the URL", () => {
    expect(routeLabel("/admin/keys/key_01ABC/revoke?x=1", "/:id/revoke", "")).toBe("/admin/keys/:id/revoke");
    expect(routeLabel("/admin/keys/", "/", "")).toBe("/admin/keys");
    expect(routeLabel("/healthz", "/healthz", "")).toBe("/healthz");
    expect(routeLabel("/console/keys/key_01ABC", "/console/*page", "")).toBe("/console/*page");
    expect(routeLabel("/Things/thing_42/items", "/items", "")).toBe("/things/:param/items");
    expect(routeLabel("/nope", undefined, "")).toBe("unmatched");
  });
});
