import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type RequestHandler, Router } from "express";
import { AppError } from "../../errors/app-error.js";
import { addLiveReload, LIVE_RELOAD_TAG } from "./console-live-reload.js";

// The bundled console: built by `npm run build` (Vite) into dist/console and served here, so a Procfile
// deployment has a console with nothing else running. Its pages are one level under /console/ and its
// asset URLs relative, so it works wherever a reverse proxy mounts keyward.

// Only files of this origin; no inline script or style, no eval. The console needs nothing more.
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** dist/console beside package.json, whether this module runs from src (tsx) or from dist (node). */
export function bundledConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "dist", "console");
}

// A page of the app: one path segment, no dot (files have one), e.g. keys, verify-email.
const PAGE = /^\/(?:[a-z-]+)?$/;

/** `liveReload` (npm run dev): index.html read at every request, and pages reload after each build. */
export function consoleRouter(dir: string, opts: { liveReload: boolean }): Router {
  const router = Router();
  // Relative redirects keep a path prefix a reverse proxy added: "/" -> "console/", "/console" -> "console/".
  router.get("/", (_req, res) => res.redirect(302, "console/"));
  router.get("/console", (req, res, next) => {
    if (req.path !== "/console") return next();
    res.redirect(301, "console/");
  });
  // Hashed file names: a file never changes, so it may be cached for good.
  router.use(
    "/console/assets",
    express.static(join(dir, "assets"), { immutable: true, maxAge: "365d", index: false }),
  );
  if (opts.liveReload) addLiveReload(router, dir);
  router.get("/console/", page(dir, opts.liveReload));
  router.get("/console/*page", page(dir, opts.liveReload));
  return router;
}

function page(dir: string, liveReload: boolean): RequestHandler {
  let html: string | undefined;
  return (req, res, next) => {
    const rest = req.path.slice("/console".length);
    if (!PAGE.test(rest)) return next();
    if (html === undefined || liveReload) {
      const file = join(dir, "index.html");
      if (!existsSync(file)) throw new AppError("not_found", "The console is not built: run npm run build");
      html = readFileSync(file, "utf8");
      if (liveReload) html = html.replace("</body>", `${LIVE_RELOAD_TAG}\n</body>`);
    }
    res.setHeader("Content-Security-Policy", CONSOLE_CSP);
    res.setHeader("Cache-Control", "no-cache");
    res.type("html").send(html);
  };
}
