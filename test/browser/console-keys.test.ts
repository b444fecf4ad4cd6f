import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, keyUsageDaily } from "../../src/db/schema.js";
import { createAccount, FIXTURE_PASSWORD, insertApiKey } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser, watchCspViolations } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, createKey, keyRow, logIn, readShownKey } from "./support/console-steps.js";

// The console's key screens in Chromium, on keyward's web app: what a person sees and can do, and
// what must never happen (a key shown twice, two keys from one double click, a lost draft).

let app: ConsoleApp;
let browser: ConsoleBrowser;
const cspViolations: string[][] = [];

beforeAll(async () => {
  app = await startConsoleApp();
  browser = await launchBrowser({ origin: app.origin });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function freshPage(): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.newPage();
  cspViolations.push(await watchCspViolations(page));
  return page;
}

async function keysOf(accountId: string) {
  return app.env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId));
}

describe("the console's API keys", () => {
  it("serves the console with a strict CSP, relative asset URLs and no inline script", async () => {
    const res = await fetch(app.consoleUrl);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^\.\/|^data:/);
    const root = await fetch(`${app.origin}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("console/");
  });

  it("shows a new key once: after Copy, Done and a reload only its last 4 characters remain", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    const secret = await createKey(page, "Development");
    await page
      .getByRole("dialog", { name: "Your new API key" })
      .getByRole("button", { name: "Copy the API key" })
      .click();
    await page.getByText("Copied").first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await closeShownKey(page);
    // Focus goes back to what opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Create New Key");
    await expect
      .poll(() => keyRow(page, "Development").textContent())
      .toContain(`sk-srt-…${secret.slice(-4)}`);

    await page.reload();
    await keyRow(page, "Development").waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await page.content()).not.toContain(secret.slice(7, 20));
    const stored = await keysOf(id);
    expect(stored).toHaveLength(1);
  });

  it("makes one key from a double click on Generate Key", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Production App");
    await dialog.getByRole("checkbox", { name: "models:list" }).waitFor();
    await dialog.getByRole("button", { name: "Generate Key" }).dblclick();
    await readShownKey(page);
    await closeShownKey(page);
    expect(await keysOf(id)).toHaveLength(1);
  });

  it("gives a restricted key only the permissions left checked, and /v1 refuses the others", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    // All checked by default (the docs: "default: all endpoints").
    for (const p of ["chat:read", "embeddings:read", "models:list"]) {
      expect(await dialog.getByRole("checkbox", { name: p }).isChecked()).toBe(true);
    }
    await page.keyboard.press("Escape");
    const secret = await createKey(page, "chat only", { uncheck: ["embeddings:read", "models:list"] });
    await closeShownKey(page);
    expect(await keyRow(page, "chat only").getByRole("cell").nth(2).textContent()).toBe("chat:read");
    expect((await keysOf(id))[0]?.permissions).toEqual(["chat:read"]);
    const models = await fetch(`${app.origin}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    expect(models.status).toBe(403);
    expect((await models.json()).error.code).toBe("insufficient_permissions");
  });

  it("shows the API's validation errors beside their fields and keeps what was typed", async () => {
    const { email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Staging");
    const limit = dialog.getByLabel("Rate limit (requests per minute, optional)");
    await limit.fill("5000");
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    // The field names its error (aria-describedby), in the API's words.
    await expect.poll(() => limit.getAttribute("aria-invalid")).toBe("true");
    const described = (await limit.getAttribute("aria-describedby")) ?? "";
    const errorText = await page.locator(`[id="${described.split(" ").pop()}"]`).textContent();
    expect(errorText).toBe("may not exceed your tier's limit of 60");
    expect(await dialog.getByLabel("Name").inputValue()).toBe("Staging");
    expect(await limit.inputValue()).toBe("5000");

    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("link", { name: "Sign Up" }).click();
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase 9");
    await page.getByRole("button", { name: "Sign Up" }).click();
    const emailField = page.getByLabel("Email address");
    await expect.poll(() => emailField.getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByText("An account with this email already exists").isVisible()).toBe(true);
    expect(await emailField.inputValue()).toBe(email);
  });

  it("asks for the day when On a date is chosen without one, and makes no key", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Dated");
    await dialog.getByRole("radio", { name: "On a date" }).check();
    const date = dialog.getByLabel("Expiry date");
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await expect.poll(() => date.getAttribute("aria-invalid")).toBe("true");
    const described = (await date.getAttribute("aria-describedby")) ?? "";
    expect(await page.locator(`[id="${described.split(" ").pop()}"]`).textContent()).toBe(
      "Choose the day the key stops working",
    );
    expect(await keysOf(id)).toHaveLength(0);
  });

  it("returns an expired session to Log in, then back to the page and the draft it left", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Create New Key" }).click();
    await page.getByRole("dialog", { name: "Create New Key" }).getByLabel("Name").fill("Half-typed name");

    // The session ends on the server (as after 24 hours unused); the next call finds out.
    const cookie = (await browser.context.cookies()).find((c) => c.name === "keyward_session");
    const out = await fetch(`${app.origin}/admin/sessions/current`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${cookie?.value}` },
    });
    expect(out.status).toBe(204);
    await page
      .getByRole("dialog", { name: "Create New Key" })
      .getByRole("button", { name: "Generate Key" })
      .click();
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    expect(await page.getByText("Your session has ended").isVisible()).toBe(true);
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();

    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.waitFor();
    expect(await dialog.getByLabel("Name").inputValue()).toBe("Half-typed name");
    expect(await keysOf(id)).toHaveLength(0);
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await readShownKey(page);
    expect(await keysOf(id)).toHaveLength(1);
  });

  it("reaches every control by keyboard, and a dialog keeps focus inside until it closes", async () => {
    const { email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    const create = page.getByRole("button", { name: "Create New Key" });
    await create.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.waitFor();
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press("Tab");
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await create.evaluate((b) => b === document.activeElement)).toBe(true);
  });

  it("opens the Revoke confirmation on Cancel, so Enter keeps the key", async () => {
    const { id, email } = await createAccount(app.env);
    await insertApiKey(app.env, id, { name: "Development" });
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await keyRow(page, "Development").getByRole("button", { name: "Revoke Development" }).click();
    const dialog = page.getByRole("dialog", { name: 'Revoke "Development"?' });
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    expect((await keysOf(id))[0]?.revokedAt).toBeNull();
  });

  it("counts in words that agree: 1 request, 2 requests", async () => {
    const { id, email } = await createAccount(app.env);
    const one = await insertApiKey(app.env, id, { name: "one", rateLimitPerMinute: 1 });
    const two = await insertApiKey(app.env, id, { name: "two", rateLimitPerMinute: 2 });
    const today = new Date().toISOString().slice(0, 10);
    await app.env.database.db.insert(keyUsageDaily).values([
      { keyId: one.id, day: today, requests: 1 },
      { keyId: two.id, day: today, requests: 2 },
    ]);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.goto(`${app.consoleUrl}key?id=${one.id}`);
    await page.getByText("1 request in 30 days.", { exact: true }).waitFor();
    await page.getByText("1 request per minute", { exact: true }).waitFor();
    await page.goto(`${app.consoleUrl}key?id=${two.id}`);
    await page.getByText("2 requests in 30 days.", { exact: true }).waitFor();
    await page.getByText("2 requests per minute", { exact: true }).waitFor();
  });

  it("offers a retry when a call fails, and the retry shows the keys", async () => {
    const { email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await createKey(page, "Development");
    await closeShownKey(page);
    // The next list call fails as an outage would (503 in the API's shape); the one after succeeds.
    let failures = 1;
    await page.route("**/admin/keys?*", async (route) => {
      if (failures-- > 0) {
        await route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({
            error: {
              message: "Service temporarily unavailable",
              type: "api_error",
              code: "service_unavailable",
            },
          }),
        });
      } else await route.continue();
    });
    await page.reload();
    await page.getByText("Service temporarily unavailable").waitFor();
    await page.getByRole("button", { name: "Retry" }).click();
    await keyRow(page, "Development").waitFor();
    expect(await page.getByText("Service temporarily unavailable").count()).toBe(0);
  });

  it("goes Dashboard > API Keys by those words, and /console/dashboard leads to the same page", async () => {
    const { email } = await createAccount(app.env);
    const page = await freshPage();
    await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
    await page.getByRole("link", { name: "Account" }).first().click();
    await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
    await page.getByRole("link", { name: "API Keys" }).first().click();
    expect(new URL(page.url()).pathname).toBe("/console/keys");
    await page.goto(`${app.consoleUrl}dashboard`);
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/console/keys");
  });

  it("never trips the console's Content-Security-Policy", () => {
    expect(cspViolations.flat()).toEqual([]);
  });
});
