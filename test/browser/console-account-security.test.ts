import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintEmailChangeToken } from "../../src/accounts/email-change.js";
import { totpCodeAt } from "../../src/totp/totp-codes.js";
import { createAccount, FIXTURE_PASSWORD } from "../support/fixtures.js";
import { TEST_TOTP_KEY } from "../support/second-factor.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { fillLogIn, logIn } from "./support/console-steps.js";

// The Account page's security sections in Chromium: two-factor set-up with its QR code and recovery
// codes, logging in with a code, sessions ended from the list, an email change, the reason a
// password is refused, and deleting the account.

let app: ConsoleApp;
let browser: ConsoleBrowser;

beforeAll(async () => {
  app = await startConsoleApp({ TOTP_ENCRYPTION_KEY: TEST_TOTP_KEY });
  browser = await launchBrowser({ origin: app.origin });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function accountPage(email: string): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.newPage();
  await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
  await page.goto(`${app.consoleUrl}account`);
  await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
  return page;
}

/** Another session of the account, made through the API as another device would. */
async function otherSession(email: string): Promise<string> {
  const res = await fetch(`${app.origin}/admin/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "curl/8.5.0" },
    body: JSON.stringify({ email, password: FIXTURE_PASSWORD }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { session: { token: string } }).session.token;
}
const meStatus = async (token: string) =>
  (await fetch(`${app.origin}/admin/me`, { headers: { authorization: `Bearer ${token}` } })).status;

describe("two-factor authentication in the console", () => {
  it("sets up with the QR code, shows ten recovery codes once, then asks for a code at login", async () => {
    const { email } = await createAccount(app.env);
    const page = await accountPage(email);
    const section = page.getByRole("region", { name: "Two-factor authentication" });
    await section.getByLabel("Password").fill(FIXTURE_PASSWORD);
    await section.getByRole("button", { name: "Set up two-factor authentication" }).click();
    await section.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
    const secret = /setup key in the app: ([A-Z2-7]{32})/.exec((await section.textContent()) ?? "")?.[1];
    expect(secret).toBeDefined();

    await section.getByLabel("Authentication code").fill("000000");
    await section.getByRole("button", { name: "Turn on" }).click();
    await expect
      .poll(() => section.getByLabel("Authentication code").getAttribute("aria-invalid"))
      .toBe("true");
    await section.getByLabel("Authentication code").fill(totpCodeAt(secret as string, new Date()));
    await section.getByRole("button", { name: "Turn on" }).click();
    const list = section.getByRole("list", { name: "Recovery codes" });
    await list.waitFor();
    const codes = (await list.getByRole("listitem").allTextContents()).map((c) => c.trim());
    expect(codes).toHaveLength(10);
    await section.getByRole("button", { name: "Done" }).click();
    await section.getByRole("button", { name: "Turn off two-factor authentication" }).waitFor();
    expect(await page.content()).not.toContain(codes[0]);

    // Log in again: after the password, a code; a recovery code works once.
    await browser.context.clearCookies();
    await page.goto(`${app.consoleUrl}log-in`);
    await fillLogIn(page, email, FIXTURE_PASSWORD);
    await page.getByLabel("Authentication code").waitFor();
    await page.getByRole("button", { name: "Use a recovery code instead" }).click();
    await page.getByLabel("Recovery code").fill(codes[0] as string);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();

    await browser.context.clearCookies();
    await page.goto(`${app.consoleUrl}log-in`);
    await fillLogIn(page, email, FIXTURE_PASSWORD);
    await page.getByRole("button", { name: "Use a recovery code instead" }).click();
    await page.getByLabel("Recovery code").fill(codes[0] as string);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect.poll(() => page.getByLabel("Recovery code").getAttribute("aria-invalid")).toBe("true");
  });

  it("knows two-factor is on as soon as it is, without Done: Delete account then asks for a code", async () => {
    const { email } = await createAccount(app.env);
    const page = await accountPage(email);
    const section = page.getByRole("region", { name: "Two-factor authentication" });
    await section.getByLabel("Password").fill(FIXTURE_PASSWORD);
    await section.getByRole("button", { name: "Set up two-factor authentication" }).click();
    await section.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
    const secret = /setup key in the app: ([A-Z2-7]{32})/.exec((await section.textContent()) ?? "")?.[1];
    await section.getByLabel("Authentication code").fill(totpCodeAt(secret as string, new Date()));
    await section.getByRole("button", { name: "Turn on" }).click();
    await section.getByRole("list", { name: "Recovery codes" }).waitFor();

    // Away and back by the menu, not Done.
    await page.getByRole("link", { name: "API Keys" }).click();
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
    await page.getByRole("link", { name: "Account" }).click();
    await section.getByRole("button", { name: "Turn off two-factor authentication" }).waitFor();
    await page
      .getByRole("region", { name: "Delete account" })
      .getByRole("button", { name: "Delete account" })
      .click();
    const dialog = page.getByRole("dialog", { name: "Delete your account?" });
    await dialog.getByLabel("Authentication code or recovery code").waitFor();
  });

  it("shows a refusal for a field the form lacks under the form: two-factor turned on elsewhere", async () => {
    const { email } = await createAccount(app.env);
    const page = await accountPage(email);
    // Another device turns two-factor on after this page has loaded.
    const token = await otherSession(email);
    const asOther = (path: string, body: unknown) =>
      fetch(`${app.origin}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const started = (await (await asOther("/admin/me/totp", { password: FIXTURE_PASSWORD })).json()) as {
      secret: string;
    };
    const confirmed = await asOther("/admin/me/totp/confirm", {
      code: totpCodeAt(started.secret, new Date()),
      end_other_sessions: false,
    });
    expect(confirmed.status).toBe(200);

    await page
      .getByRole("region", { name: "Delete account" })
      .getByRole("button", { name: "Delete account" })
      .click();
    const dialog = page.getByRole("dialog", { name: "Delete your account?" });
    await dialog.getByLabel("Password").fill(FIXTURE_PASSWORD);
    await dialog.getByRole("button", { name: "Delete my account" }).click();
    await dialog.getByRole("alert").waitFor();
    expect(await dialog.getByRole("alert").textContent()).toMatch(/code/i);
  });
});

describe("sessions, email, password and deletion in the console", () => {
  it("lists sessions and ends the others; the new sign-in email setting is a checkbox", async () => {
    const { email } = await createAccount(app.env);
    const page = await accountPage(email);
    const other = await otherSession(email);
    await page.reload();
    const section = page.getByRole("region", { name: "Sessions" });
    await section.getByText("(this session)").waitFor();
    await section.getByRole("cell", { name: "curl", exact: true }).waitFor();
    await section.getByRole("button", { name: "End all other sessions" }).click();
    await expect.poll(() => meStatus(other)).toBe(401);
    await expect.poll(() => section.getByRole("cell", { name: "curl", exact: true }).count()).toBe(0);

    const alerts = section.getByRole("checkbox", {
      name: "Email me when my account signs in from a new IP address",
    });
    expect(await alerts.isChecked()).toBe(true);
    await alerts.uncheck();
    await expect
      .poll(
        async () =>
          (await app.env.database.sql`select new_signin_emails from accounts where email = ${email}`)[0]
            ?.new_signin_emails,
      )
      .toBe(false);
  });

  it("says why a new password is refused, beside the field", async () => {
    const { email } = await createAccount(app.env);
    const page = await accountPage(email);
    const section = page.getByRole("region", { name: "Change password" });
    await section.getByLabel("Current password").fill(FIXTURE_PASSWORD);
    await section.getByLabel("New password").fill("password123456");
    await section.getByRole("button", { name: "Change password" }).click();
    await section.getByText(/too easy to guess: it is mostly sequential characters/).waitFor();
    // The current password again: refused beside the field too, in the API's words without its name.
    await section.getByLabel("New password").fill(FIXTURE_PASSWORD);
    await section.getByRole("button", { name: "Change password" }).click();
    await section.getByText("must be different from the current password", { exact: true }).waitFor();
    expect(await section.getByText(/new_password/).count()).toBe(0);
  });

  it("ticks the password checklist only for what the server accepts", async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await page.goto(`${app.consoleUrl}sign-up`);
    await page.getByLabel("Email address").fill("someone@example.com");
    const password = page.getByLabel("Password", { exact: true });
    const commonRule = page.getByRole("listitem").filter({ hasText: "Not a commonly used password" });
    const ticked = async (typed: string) => {
      await password.fill(typed);
      return ((await commonRule.textContent()) ?? "").startsWith("✓");
    };
    // Refused by the server: a common word around a sequence, a repetition, the list itself.
    expect(await ticked("password123456")).toBe(false);
    expect(await ticked("aaaaaaaaaaaa")).toBe(false);
    expect(await ticked("Keyward2026!!")).toBe(false);
    expect(await ticked("1234567890abcdef")).toBe(false);
    // Accepted by the server, and ticked.
    expect(await ticked("correct horse battery staple 43")).toBe(true);
    expect(await ticked("quiet-lantern-1234-orchard")).toBe(true);
    await page.close();
  });

  it("asks for an email change, and the link's page confirms it", async () => {
    const { id, email } = await createAccount(app.env);
    const page = await accountPage(email);
    const section = page.getByRole("region", { name: "Change email" });
    const newEmail = `moved-${id.slice(-8)}@example.org`;
    await section.getByLabel("New email address").fill(newEmail);
    await section.getByLabel("Password").fill(FIXTURE_PASSWORD);
    await section.getByRole("button", { name: "Change email" }).click();
    await section.getByText(`We sent a confirmation link to ${newEmail}`).waitFor();

    // The worker would mint this token when sending the link; the page is what is tested here.
    const token = await mintEmailChangeToken(app.env.database.db, {
      accountId: id,
      newEmail,
      requestId: "browser-test",
      now: new Date(),
    });
    await page.goto(`${app.consoleUrl}confirm-email?token=${token}`);
    await page.getByText(`Your account's email address is now ${newEmail}.`).waitFor();
  });

  it("deletes the account after the password, then says so on the Log in page", async () => {
    const { email } = await createAccount(app.env);
    const page = await accountPage(email);
    await page
      .getByRole("region", { name: "Delete account" })
      .getByRole("button", { name: "Delete account" })
      .click();
    const dialog = page.getByRole("dialog", { name: "Delete your account?" });
    // It opens on the password, not on Delete my account: Enter alone deletes nothing.
    await dialog.waitFor();
    expect(await dialog.getByLabel("Password").evaluate((e) => e === document.activeElement)).toBe(true);
    await dialog.getByLabel("Password").fill("not my password at all");
    await dialog.getByRole("button", { name: "Delete my account" }).click();
    await expect.poll(() => dialog.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");
    await dialog.getByLabel("Password").fill(FIXTURE_PASSWORD);
    await dialog.getByRole("button", { name: "Delete my account" }).click();
    await page.getByText("Your account has been deleted.").waitFor();
    const login = await fetch(`${app.origin}/admin/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: FIXTURE_PASSWORD }),
    });
    expect(login.status).toBe(401);
  });
});
