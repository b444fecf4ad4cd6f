import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, FIXTURE_PASSWORD, insertApiKey } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { createKey, keyRow, logIn } from "./support/console-steps.js";

// What must fit on a laptop (1280 px) and a phone (375 px): a key's name may be 100 characters with
// no space to break at, and neither the page nor a table may then need sideways scrolling.

let app: ConsoleApp;
let browser: ConsoleBrowser;

beforeAll(async () => {
  app = await startConsoleApp();
  browser = await launchBrowser({ origin: app.origin });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const LONG_NAME = "Z".repeat(100);
const WIDTHS = [1280, 375];

async function loggedIn(width: number): Promise<{ page: Page; id: string }> {
  const { id, email } = await createAccount(app.env);
  await browser.context.clearCookies();
  const page = await browser.newPage({ width, height: 800 });
  await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
  return { page, id };
}

/** How far the page is wider than the window (0 when nothing scrolls sideways). */
const pageOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** How far an element's content is wider than its box. */
const overflowOf = (element: Locator) => element.evaluate((e) => e.scrollWidth - e.clientWidth);

/** How far a table is wider than the box it scrolls in. */
const tableOverflow = (table: Locator) =>
  table.evaluate((t) => (t.parentElement ? t.parentElement.scrollWidth - t.parentElement.clientWidth : 0));

/** Whether the element is wholly inside the window, sideways, with nothing scrolled. */
const whollyInWindow = (element: Locator) =>
  element.evaluate((e) => {
    const box = e.getBoundingClientRect();
    return box.left >= 0 && box.right <= document.documentElement.clientWidth;
  });

describe("the console's layout with long names", () => {
  for (const width of WIDTHS) {
    it(`fits a 100-character name in the keys table, its key page and the shown-once key at ${width} px`, async () => {
      const { page, id } = await loggedIn(width);
      await insertApiKey(app.env, id, { name: "production_backend_service_eu_west_1_primary" });
      await insertApiKey(app.env, id, { name: LONG_NAME });
      await page.reload();
      const row = keyRow(page, LONG_NAME);
      await row.waitFor();
      expect(await pageOverflow(page)).toBe(0);
      expect(await tableOverflow(page.getByRole("table", { name: "Your API keys" }))).toBe(0);
      expect(await whollyInWindow(row.getByRole("button", { name: `Revoke ${LONG_NAME}` }))).toBe(true);

      await row.getByRole("link", { name: LONG_NAME }).click();
      const heading = page.getByRole("heading", { name: LONG_NAME, level: 1 });
      await heading.waitFor();
      expect(await pageOverflow(page)).toBe(0);
      expect(await overflowOf(heading)).toBe(0);
      expect(await overflowOf(page.getByRole("navigation", { name: "Breadcrumb" }))).toBe(0);

      await page.getByRole("link", { name: "API Keys" }).first().click();
      await createKey(page, LONG_NAME.toLowerCase());
      const shown = page.getByRole("dialog", { name: "Your new API key" });
      expect(await overflowOf(shown)).toBe(0);
      expect(await pageOverflow(page)).toBe(0);
    });
  }

  it("fits the audit events at 375 px, each browser summarised as in Sessions", async () => {
    const { page } = await loggedIn(375);
    await page.getByRole("link", { name: "Account" }).click();
    const sessions = page.getByRole("region", { name: "Sessions" });
    const browserName = (
      (await sessions.getByRole("cell").filter({ hasText: "(this session)" }).textContent()) ?? ""
    )
      .replace("Browser", "")
      .replace("(this session)", "")
      .trim();
    expect(browserName).not.toBe("");
    const audit = page.getByRole("table", { name: "Audit events, newest first" });
    await audit.waitFor();
    const loginRow = audit.getByRole("row").filter({ hasText: "session.created" }).first();
    expect(await loginRow.getByRole("cell").last().textContent()).toContain(browserName);
    expect(await audit.textContent()).not.toContain("Mozilla/5.0");
    expect(await tableOverflow(audit)).toBe(0);
    expect(await pageOverflow(page)).toBe(0);
  });
});
