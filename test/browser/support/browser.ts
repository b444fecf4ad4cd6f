import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

// Debian's Chromium driven by Playwright (its own browser download cannot work here). A persistent
// context on a fresh profile folder per test file: nothing carries over between files or runs.

export const CHROMIUM = "/usr/bin/chromium";

export interface ConsoleBrowser {
  context: BrowserContext;
  newPage(opts?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { origin?: string } = {}): Promise<ConsoleBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "keyward-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 900 },
    // Copy writes to the real clipboard: allowed for the console's origin only.
    ...(opts.origin ? { permissions: ["clipboard-read", "clipboard-write"] } : {}),
  });
  if (opts.origin)
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: opts.origin });
  return {
    context,
    async newPage(size = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width: size.width ?? 1440, height: size.height ?? 900 });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page as it is and returns the serious and critical violations. axe is evaluated
 * through the DevTools protocol, which the page's CSP does not govern, so the console's CSP stays on.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } })
      .axe;
    return axe.run(document, { resultTypes: ["violations"] });
  })) as { violations: AxeViolation[] };
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
}

/** CSP violations the page reports (an inline script or eval the console must never need). */
export async function watchCspViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.push(msg.text());
  });
  return seen;
}
