import { writeFileSync } from "node:fs";
// Importing the app registers every route's paths in the OpenAPI registry.
import "../src/api/app.js";
import { generateOpenApiDocument } from "../src/api/openapi-registry.js";
import { CONSOLE_API_TYPES, consoleApiTypes } from "./console-api-types.js";

writeFileSync(CONSOLE_API_TYPES, await consoleApiTypes(generateOpenApiDocument("http://localhost:3000")));
console.log(`wrote ${CONSOLE_API_TYPES}`);
