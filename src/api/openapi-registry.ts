import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

// One registry for the admin API. Each route module registers its paths with the very zod schemas it
// validates requests with, so the document cannot drift from the behaviour.
extendZodWithOpenApi(z);

export const registry = new OpenAPIRegistry();

registry.registerComponent("securitySchemes", "session", {
  type: "http",
  scheme: "bearer",
  description: "A console session token (POST /admin/sessions); the keyward_session cookie also works.",
});

export const ErrorSchema = registry.register(
  "Error",
  z.object({
    error: z.object({
      message: z.string(),
      type: z.enum([
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "rate_limit_error",
        "api_error",
      ]),
      code: z.string(),
      param: z.string().optional(),
    }),
  }),
);

/** A JSON request or response body with this schema, for registerPath. */
export function jsonBody(schema: z.ZodType) {
  return { content: { "application/json": { schema } } };
}

/** A response entry for an error status, for registerPath's `responses`. */
export function errorResponse(description: string) {
  return { description, ...jsonBody(ErrorSchema) };
}

export function generateOpenApiDocument(publicUrl: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "keyward admin API",
      version: "1.0.0",
      description: "Accounts, console sessions and API keys for an OpenAI-compatible AI API.",
    },
    servers: [{ url: publicUrl }],
  });
}
