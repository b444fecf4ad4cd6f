import { statSync } from "node:fs";
import { join } from "node:path";
import type { Router } from "express";

// `npm run dev` only (CONSOLE_LIVE_RELOAD): Vite's watcher rebuilds the console into the served folder,
// and every open console page reloads itself once index.html (rewritten by each build) has changed.
// The page asks every second with a short request, rather than holding a stream open that would hold
// up the web process's shutdown. Its script is a file of this origin, so the console's CSP holds.

export const LIVE_RELOAD_TAG = '<script type="module" src="./live-reload.js"></script>';

const CLIENT = `let seen;
setInterval(async () => {
  const build = await fetch("live-reload", { cache: "no-store" }).then((r) => r.text(), () => seen);
  if (seen !== undefined && build !== seen) location.reload();
  seen = build;
}, 1000);
`;

export function addLiveReload(router: Router, dir: string): void {
  router.get("/console/live-reload.js", (_req, res) => {
    res.type("application/javascript").setHeader("Cache-Control", "no-cache");
    res.send(CLIENT);
  });
  // The build's identity: index.html's modification time (it is rewritten by every build).
  router.get("/console/live-reload", (_req, res) => {
    const stat = statSync(join(dir, "index.html"), { throwIfNoEntry: false });
    res.type("text/plain").setHeader("Cache-Control", "no-store");
    res.send(stat ? String(stat.mtimeMs) : "none");
  });
}
