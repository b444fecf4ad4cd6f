import openapiTS, { astToString } from "openapi-typescript";

// The console's typed client comes from the admin API's own OpenAPI document. The same function writes
// the committed file (npm run console:api) and, in test/console-api-types.test.ts, checks that it still
// matches what the server serves.

export const CONSOLE_API_TYPES = "console/src/api/schema.d.ts";

export async function consoleApiTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0]);
  return `// Generated from GET /admin/openapi.json by npm run console:api. Do not edit.\n${astToString(ast)}`;
}
