import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Router } from "express";
import { AppError } from "../../errors/app-error.js";
import type { AppDeps } from "../deps.js";
import { generateOpenApiDocument } from "../openapi-registry.js";
import { route } from "../routing.js";

// Swagger UI's static files come from the swagger-ui-dist package and are served from here, so the
// docs page needs no CDN and passes helmet's CSP (no inline script: the start-up code is a file too).
const swaggerDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "swagger-ui.css",
  "swagger-ui-bundle.js": "swagger-ui-bundle.js",
  "favicon-32x32.png": "favicon-32x32.png",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>keyward admin API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/admin/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/admin/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/admin/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/admin/docs/assets/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/admin/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
`;

// helmet's default CSP asks browsers to upgrade every request to https, which would break the page on a
// plain-http local run; this one allows exactly what Swagger UI needs, from this origin only.
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The OpenAPI document of the admin API and a page that renders it. */
export function docsRouter(deps: AppDeps): Router {
  const router = Router();
  // Every route module registered its paths when imported, so the document is complete by now.
  let document: ReturnType<typeof generateOpenApiDocument> | undefined;

  route(router, "/openapi.json", {
    get: (_req, res) => {
      document ??= generateOpenApiDocument(deps.config.publicUrl);
      res.json(document);
    },
  });
  route(router, "/docs", {
    get: (_req, res) => {
      res.setHeader("Content-Security-Policy", DOCS_CSP);
      res.type("html").send(PAGE);
    },
  });
  route(router, "/docs/assets/init.js", {
    get: (_req, res) => {
      res.type("application/javascript").send(INIT);
    },
  });
  route(router, "/docs/assets/:file", {
    get: (req, res) => {
      const name = String(req.params.file);
      const file = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!file) throw new AppError("not_found", "Unknown asset");
      res.setHeader("Cache-Control", "public, max-age=86400");
      res.sendFile(join(swaggerDir, file));
    },
  });
  return router;
}
