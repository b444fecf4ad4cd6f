import { createServer, request as httpRequest, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { firstLoadSize, formatFirstLoad } from "../../console/bundle-size.js";
import { freePort } from "../support/child-processes.js";
import { createAccount, FIXTURE_PASSWORD } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, createKey, fillLogIn, keyRow } from "./support/console-steps.js";

// Where the console is mounted and what it weighs: behind a reverse proxy that puts keyward under
// /kw/ (PUBLIC_URL says so), every page, asset and call still works; the first load stays small.

let app: ConsoleApp;
let proxy: Server;
let proxyOrigin: string;
let browser: ConsoleBrowser;

beforeAll(async () => {
  const port = await freePort();
  proxyOrigin = `http://127.0.0.1:${port}`;
  app = await startConsoleApp({ PUBLIC_URL: `${proxyOrigin}/kw` });
  const target = new URL(app.origin);
  // A reverse proxy that strips /kw, as nginx's `location /kw/ { proxy_pass http://keyward/; }` does.
  proxy = createServer((req, res) => {
    if (!req.url?.startsWith("/kw/")) {
      res.writeHead(404).end();
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url.slice(3),
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve));
  browser = await launchBrowser({ origin: proxyOrigin });
});
afterAll(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await app?.close();
});

describe("the console wherever it is mounted", () => {
  it("works under a path prefix: redirects, pages, assets, calls and the emailed links", async () => {
    expect(app.env.config.consoleUrl).toBe(`${proxyOrigin}/kw/console`);
    const { email } = await createAccount(app.env);
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().endsWith("/admin/me")) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${proxyOrigin}/kw/`);
    await fillLogIn(page, email, FIXTURE_PASSWORD);
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
    expect(page.url()).toBe(`${proxyOrigin}/kw/console/keys`);

    await createKey(page, "Behind the proxy");
    await closeShownKey(page);
    await keyRow(page, "Behind the proxy").getByRole("link").click();
    await page.getByRole("heading", { name: "Behind the proxy", level: 1 }).waitFor();
    expect(page.url()).toMatch(new RegExp(`^${proxyOrigin}/kw/console/key\\?id=key_`));
    // A reload of a deep page loads its assets from the prefix too.
    await page.reload();
    await page.getByRole("heading", { name: "Behind the proxy", level: 1 }).waitFor();
    expect(failed).toEqual([]);
  });

  it("loads under 100 KB of JavaScript and CSS, gzipped, on a first visit", () => {
    const load = firstLoadSize(inject("consoleDir"));
    console.log(formatFirstLoad(load));
    expect(load.files.some((f) => f.path.endsWith(".js"))).toBe(true);
    expect(load.files.some((f) => f.path.endsWith(".css"))).toBe(true);
    expect(load.gzipBytes).toBeLessThan(100 * 1024);
  });
});
