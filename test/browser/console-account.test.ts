import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAuditEvent } from "../../src/audit/audit.js";
import { accounts, apiKeys } from "../../src/db/schema.js";
import { createAccount, FIXTURE_PASSWORD, insertApiKey } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, createKey, fillLogIn, keyRow, logIn } from "./support/console-steps.js";

// The Account page and the key list's paging and status filter, in Chromium.

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

async function loggedIn(email: string): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.newPage();
  await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
  return page;
}

describe("the Account page", () => {
  it("shows email, tier and limits; changes the password and the reminder days, errors beside fields", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await loggedIn(email);
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Account" }).click();
    await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
    const summary = page.getByRole("region", { name: "Your account" });
    expect(await summary.textContent()).toContain(email);
    expect(await summary.textContent()).toContain("Free");
    expect(await summary.textContent()).toContain("60 requests and 40000 tokens per minute for each key");

    const password = page.getByRole("region", { name: "Change password" });
    await password.getByLabel("Current password").fill("not my password at all");
    await password.getByLabel("New password").fill("a brand new passphrase 11");
    await password.getByRole("button", { name: "Change password" }).click();
    const current = password.getByLabel("Current password");
    await expect.poll(() => current.getAttribute("aria-invalid")).toBe("true");
    expect(await password.getByLabel("New password").inputValue()).toBe("a brand new passphrase 11");
    await current.fill(FIXTURE_PASSWORD);
    await password.getByRole("button", { name: "Change password" }).click();
    await password.getByText("Your password has been changed.").waitFor();

    const reminders = page.getByRole("region", { name: "Rotation reminders" });
    const days = reminders.getByLabel("Remind me to rotate keys older than (days)");
    await days.fill("400");
    await reminders.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => days.getAttribute("aria-invalid")).toBe("true");
    expect(await days.inputValue()).toBe("400");
    await days.fill("7");
    await reminders.getByRole("button", { name: "Save" }).click();
    await reminders.getByText("Saved.").waitFor();
    const [row] = await app.env.database.db.select().from(accounts).where(eq(accounts.id, id));
    expect(row?.rotationReminderDays).toBe(7);
  });

  it("lists audit events newest first, a page at a time, and signs out", async () => {
    const { id, email } = await createAccount(app.env);
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < 25; i++) {
      await recordAuditEvent(app.env.database.db, {
        accountId: id,
        action: "login.failed",
        at: new Date(base + i * 1000),
        ip: `192.0.2.${i}`,
        userAgent: "test",
      });
    }
    const page = await loggedIn(email);
    await page.getByRole("link", { name: "Account" }).click();
    const audit = page.getByRole("region", { name: "Audit events" });
    const rows = audit.getByRole("row");
    await expect.poll(() => rows.count()).toBe(21);
    // Newest first: this login, then the inserted failures from the latest.
    expect(await rows.nth(1).textContent()).toContain("session.created");
    expect(await rows.nth(2).textContent()).toContain("192.0.2.24");
    await audit.getByRole("button", { name: "Older events" }).click();
    await expect.poll(() => rows.count()).toBe(27);
    expect(await rows.nth(26).textContent()).toContain("192.0.2.0");
    expect(await audit.getByRole("button", { name: "Older events" }).count()).toBe(0);

    await page.getByRole("main").getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Log in", level: 1 }).waitFor();
    await page.goto(`${app.consoleUrl}account`);
    await page.getByRole("heading", { name: "Log in", level: 1 }).waitFor();
    expect(page.url()).toContain("log-in?next=account");
  });
});

describe("signing out", () => {
  it("a Sign out that does not reach keyward says so and stays signed in; Retry then signs out", async () => {
    const { email } = await createAccount(app.env);
    const page = await loggedIn(email);
    // keyward cannot be reached for the sign-out call only: the session it would end lives on.
    await page.route("**/admin/sessions/current", (route) =>
      route.request().method() === "DELETE" ? route.abort("failed") : route.fallback(),
    );
    await page
      .getByRole("navigation", { name: "Dashboard" })
      .getByRole("button", { name: "Sign out" })
      .click();
    const notice = page.getByRole("alert").filter({ hasText: "You are still signed in" });
    await notice.waitFor();
    expect(await notice.textContent()).toContain("keyward could not be reached. Check your connection.");
    expect(page.url()).toBe(`${app.consoleUrl}keys`);
    expect(await page.getByRole("heading", { name: "API Keys", level: 1 }).isVisible()).toBe(true);

    await page.unroute("**/admin/sessions/current");
    await notice.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("heading", { name: "Log in", level: 1 }).waitFor();
    await page.goto(`${app.consoleUrl}keys`);
    await page.getByRole("heading", { name: "Log in", level: 1 }).waitFor();
    expect(page.url()).toContain("log-in?next=keys");
  });

  it("a Sign out that did not reach keyward is not reported after the session expired and the person logged in again", async () => {
    const { email } = await createAccount(app.env);
    const page = await loggedIn(email);
    const notice = await failSignOut(page);

    // The session ends (here: its cookie is gone); the next call finds it expired and asks to log in.
    await browser.context.clearCookies();
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Account" }).click();
    await fillLogIn(page, email, FIXTURE_PASSWORD);
    await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
    expect(await notice.count()).toBe(0);
  });

  it("a Sign out that did not reach keyward is not reported once another tab logged in as another account", async () => {
    const first = await createAccount(app.env);
    const second = await createAccount(app.env);
    const tab = await loggedIn(first.email);
    const notice = await failSignOut(tab);

    const other = await browser.newPage();
    await logIn(other, app.consoleUrl, second.email, FIXTURE_PASSWORD);
    const who = tab.getByRole("navigation", { name: "Dashboard" });
    await expect.poll(async () => (await who.textContent()) ?? "").toContain(second.email);
    expect(await notice.count()).toBe(0);
    await other.close();
  });
});

/** Sign out while keyward cannot be reached for that call; returns the notice it leaves. */
async function failSignOut(page: Page) {
  await page.route("**/admin/sessions/current", (route) =>
    route.request().method() === "DELETE" ? route.abort("failed") : route.fallback(),
  );
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("button", { name: "Sign out" }).click();
  const notice = page.getByRole("alert").filter({ hasText: "You are still signed in" });
  await notice.waitFor();
  await page.unroute("**/admin/sessions/current");
  return notice;
}

describe("two tabs", () => {
  // One session cookie serves every tab: a log-in in one tab changes the account the others act as.
  it("a log-in as another account in one tab moves the other tab to that account, once a key shown there is closed", async () => {
    const first = await createAccount(app.env);
    const second = await createAccount(app.env);
    await insertApiKey(app.env, second.id, { name: "second's key" });
    const tab = await loggedIn(first.email);
    const who = tab.getByRole("navigation", { name: "Dashboard" });
    const secret = await createKey(tab, "first's key");

    const other = await browser.newPage();
    await logIn(other, app.consoleUrl, second.email, FIXTURE_PASSWORD);
    // The key shown once stays until it is closed: it is the only chance to copy it.
    await expect
      .poll(async () => (await other.getByRole("navigation", { name: "Dashboard" }).textContent()) ?? "")
      .toContain(second.email);
    expect(await tab.getByLabel("Your API key").inputValue()).toBe(secret);
    await closeShownKey(tab);
    await expect.poll(async () => (await who.textContent()) ?? "").toContain(second.email);
    await keyRow(tab, "second's key").waitFor();
    expect(await keyRow(tab, "first's key").count()).toBe(0);
    await other.close();
  });
});

describe("a key's page and the pages before logging in", () => {
  it("renames a key, and the list shows the new name", async () => {
    const { id, email } = await createAccount(app.env);
    await insertApiKey(app.env, id, { name: "dev-local" });
    const page = await loggedIn(email);
    await keyRow(page, "dev-local").getByRole("link").click();
    await page.getByRole("heading", { name: "dev-local", level: 1 }).waitFor();
    const rename = page.getByRole("region", { name: "Rename" });
    await rename.getByLabel("Name").fill("staging-app");
    await rename.getByRole("button", { name: "Rename" }).click();
    await page.getByRole("heading", { name: "staging-app", level: 1 }).waitFor();
    await page
      .getByRole("navigation", { name: "Breadcrumb" })
      .getByRole("link", { name: "API Keys" })
      .click();
    await keyRow(page, "staging-app").waitFor();
  });

  it("lowers a key's token limit, refuses one above the tier's beside the field, and goes back to the tier's", async () => {
    const { id, email } = await createAccount(app.env);
    const key = await insertApiKey(app.env, id, { name: "batch-jobs" });
    const page = await loggedIn(email);
    await keyRow(page, "batch-jobs").getByRole("link").click();
    await page.getByRole("heading", { name: "batch-jobs", level: 1 }).waitFor();
    const section = page.getByRole("region", { name: "Token limit" });
    const field = section.getByLabel("Tokens per minute");
    const tier = app.env.config.tokenLimitsPerMinute.free;
    // The limit in force is shown, not put in the field: saved untouched, it would pin the tier's number.
    expect(await field.inputValue()).toBe("");
    await section.getByText(`Now ${tier} (prompt and completion tokens)`).waitFor();
    const save = section.getByRole("button", { name: "Save token limit" });
    expect(await save.isDisabled()).toBe(true);
    const tokenLimitOf = async () =>
      (await app.env.database.db.select().from(apiKeys).where(eq(apiKeys.id, key.id)))[0]
        ?.tokenLimitPerMinute;

    await field.fill("1200");
    await section.getByRole("button", { name: "Save token limit" }).click();
    await section.getByRole("status").getByText("Saved.").waitFor();
    await page.getByText("1200 tokens per minute").waitFor();
    expect(await tokenLimitOf()).toBe(1200);

    await field.fill(String(tier + 1));
    await section.getByRole("button", { name: "Save token limit" }).click();
    await section.getByText("may not exceed your tier's limit").waitFor();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    expect(await tokenLimitOf()).toBe(1200);

    await field.fill("");
    await section.getByRole("button", { name: "Save token limit" }).click();
    await section.getByRole("status").getByText("Saved.").waitFor();
    expect(await tokenLimitOf()).toBeNull();
    await section.getByText(`Now ${tier} (prompt and completion tokens)`).waitFor();
    expect(await save.isDisabled()).toBe(true);
  });

  it("a key's page without a key id says there is no such key, rather than loading forever", async () => {
    const { email } = await createAccount(app.env);
    const page = await loggedIn(email);
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(`${app.consoleUrl}key`);
    await page.getByRole("alert").filter({ hasText: "No such API key" }).waitFor();
    expect(await page.getByRole("link", { name: "Back to API Keys" }).isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  it("a link from an email cut short of its token says so in words, not in the schema's", async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    for (const [path, title] of [
      ["verify-email", "Verify your email address"],
      ["confirm-email", "Confirm your new email address"],
      ["reset-password", "Reset your password"],
    ]) {
      await page.goto(`${app.consoleUrl}${path}`);
      await page.getByRole("heading", { name: title, level: 1 }).waitFor();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).toBe("This link is incomplete. Open the whole link from the email.");
    }
  });

  it("asks for a reset link from Forgot password? and answers alike for any address", async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await page.goto(`${app.consoleUrl}log-in`);
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.getByRole("heading", { name: "Forgot password?", level: 1 }).waitFor();
    await page.getByLabel("Email address").fill("nobody@example.com");
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByText("If an account exists for that address").waitFor();
  });

  it("a second request refused as too many no longer says a link is on its way", async () => {
    const tooMany = {
      status: 429,
      contentType: "application/json",
      body: JSON.stringify({
        error: {
          message: "Too many requests; try again later",
          type: "rate_limit_error",
          code: "rate_limit_exceeded",
        },
      }),
    };
    const page = await browser.newPage();
    for (const [path, button, sent] of [
      ["forgot-password", "Send reset link", "If an account exists for that address"],
      ["check-inbox", "Resend the email", "a new link is on its way"],
    ] as const) {
      await page.goto(`${app.consoleUrl}${path}`);
      await page.getByLabel("Email address").fill("nobody@example.com");
      await page.getByRole("button", { name: button }).click();
      await page.getByText(sent).waitFor();
      await page.route("**/admin/accounts/**", (route) => route.fulfill(tooMany));
      await page.getByRole("button", { name: button }).click();
      await page.getByRole("alert").filter({ hasText: "Too many requests" }).waitFor();
      expect(await page.getByText(sent).count()).toBe(0);
      await page.unroute("**/admin/accounts/**");
    }
  });
});

describe("the key list's paging and filter", () => {
  it("pages with the API's cursor and filters by status", async () => {
    const { id, email } = await createAccount(app.env);
    const base = Date.now() - 86_400_000;
    for (let i = 0; i < 22; i++) {
      await insertApiKey(app.env, id, { name: `key ${i}`, createdAt: new Date(base + i * 1000) });
    }
    await insertApiKey(app.env, id, {
      name: "old revoked",
      revokedAt: new Date(),
      createdAt: new Date(base - 1000),
    });
    const page = await loggedIn(email);
    await keyRow(page, "key 21").waitFor();
    expect(await page.getByRole("row").count()).toBe(21);
    await page.getByRole("button", { name: "Next page" }).click();
    await keyRow(page, "key 0").waitFor();
    expect(await page.getByRole("row").count()).toBe(3);
    await page.getByRole("button", { name: "Previous page" }).click();
    await keyRow(page, "key 21").waitFor();

    await page.getByLabel("Status").selectOption("revoked");
    await keyRow(page, "old revoked").waitFor();
    expect(await page.getByRole("row").count()).toBe(2);
    expect(await keyRow(page, "old revoked").getByRole("cell").nth(5).textContent()).toBe("Revoked");
    expect(page.url()).toContain("keys?status=revoked");
  });
});
