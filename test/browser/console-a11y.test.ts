import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, FIXTURE_PASSWORD } from "../support/fixtures.js";
import {
  type AxeViolation,
  type ConsoleBrowser,
  launchBrowser,
  seriousAxeViolations,
} from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, logIn, readShownKey } from "./support/console-steps.js";

// Every screen of the console, checked by axe-core at 1440 px in the light scheme and at 375 px in
// the dark one; at 375 px nothing may need sideways scrolling. The result is printed with the run.

const axeVersion = (createRequire(import.meta.url)("axe-core/package.json") as { version: string }).version;

let app: ConsoleApp;
let browser: ConsoleBrowser;

beforeAll(async () => {
  // Listed models, so that a key's models can be chosen from them (no upstream needs to run).
  app = await startConsoleApp({
    UPSTREAMS: JSON.stringify([
      { url: "http://127.0.0.1:9", models: ["vllm-primary", "meta-llama/Llama-3.1-8B"] },
    ]),
  });
  browser = await launchBrowser({ origin: app.origin });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

interface Screen {
  name: string;
  open: (page: Page) => Promise<void>;
}

const heading = (page: Page, name: string) => page.getByRole("heading", { name, level: 1 }).waitFor();
const goTo = (address: string, title: string) => async (page: Page) => {
  await page.goto(address);
  await heading(page, title);
};
const dialog = (page: Page, name: string) => page.getByRole("dialog", { name }).waitFor();

function screens(email: string): Screen[] {
  const url = app.consoleUrl;
  return [
    { name: "Sign Up", open: goTo(`${url}sign-up`, "Sign Up") },
    {
      name: "Check your inbox",
      open: goTo(`${url}check-inbox?email=someone%40example.com`, "Check your inbox"),
    },
    {
      name: "verify-email (used link)",
      open: async (p) => {
        await p.goto(`${url}verify-email?token=not-a-token`);
        await p.getByRole("alert").waitFor();
      },
    },
    {
      name: "Forgot password?",
      open: goTo(`${url}forgot-password`, "Forgot password?"),
    },
    {
      name: "reset-password",
      open: goTo(`${url}reset-password?token=abc`, "Reset your password"),
    },
    { name: "Log in", open: goTo(`${url}log-in`, "Log in") },
    { name: "API Keys, empty", open: (p) => logIn(p, url, email, FIXTURE_PASSWORD) },
    {
      name: "Create New Key",
      open: async (p) => {
        await p.getByRole("button", { name: "Create New Key" }).click();
        const form = p.getByRole("dialog", { name: "Create New Key" });
        await form.getByRole("checkbox", { name: "chat:read" }).waitFor();
        // The models choice open, its list shown.
        await form.getByRole("radio", { name: "Only these models" }).check();
        await form.getByRole("checkbox", { name: "meta-llama/Llama-3.1-8B" }).check();
      },
    },
    {
      name: "the key shown once",
      open: async (p) => {
        const form = p.getByRole("dialog", { name: "Create New Key" });
        await form.getByLabel("Name").fill("Development");
        await form.getByRole("button", { name: "Generate Key" }).click();
        await readShownKey(p);
      },
    },
    {
      name: "the shown-once guard",
      open: async (p) => {
        await p.getByRole("button", { name: "Done" }).click();
        await p.getByRole("button", { name: "Yes, close" }).waitFor();
      },
    },
    {
      name: "API Keys, with a key",
      open: async (p) => {
        await p.getByRole("button", { name: "Go back" }).click();
        await closeShownKey(p);
        await p.getByRole("link", { name: "Development" }).waitFor();
      },
    },
    {
      name: "Revoke confirmation",
      open: async (p) => {
        await p.getByRole("button", { name: "Revoke Development" }).click();
        await dialog(p, 'Revoke "Development"?');
      },
    },
    {
      name: "a key's page",
      open: async (p) => {
        await p.keyboard.press("Escape");
        await p.getByRole("link", { name: "Development" }).click();
        await heading(p, "Development");
        await p.getByRole("img", { name: /Requests per day/ }).waitFor();
        await p
          .getByRole("region", { name: "Models" })
          .getByRole("checkbox", { name: "vllm-primary" })
          .waitFor();
      },
    },
    {
      name: "Rotate",
      open: async (p) => {
        await p.getByRole("button", { name: "Rotate" }).click();
        await dialog(p, 'Rotate "Development"');
      },
    },
    {
      name: "Account",
      open: async (p) => {
        await p.keyboard.press("Escape");
        await p.getByRole("link", { name: "Account" }).click();
        await heading(p, "Account");
        await p.getByRole("table", { name: "Audit events, newest first" }).waitFor();
      },
    },
    {
      name: "page not found",
      open: goTo(`${url}no-such-page`, "Page not found"),
    },
  ];
}

async function walk(
  page: Page,
): Promise<{ screens: number; violations: (AxeViolation & { screen: string })[]; wide: string[] }> {
  const { email } = await createAccount(app.env);
  const list = screens(email);
  const violations: (AxeViolation & { screen: string })[] = [];
  const wide: string[] = [];
  for (const screen of list) {
    await screen.open(page);
    for (const v of await seriousAxeViolations(page)) violations.push({ ...v, screen: screen.name });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) wide.push(`${screen.name}: ${overflow}px too wide`);
  }
  return { screens: list.length, violations, wide };
}

describe("the console's accessibility", () => {
  it("runs an axe-core that does report a violation (a check that cannot fail proves nothing)", async () => {
    const page = await browser.newPage();
    await page.goto(`${app.consoleUrl}log-in`);
    await page.evaluate(() => {
      const img = document.createElement("img");
      img.src = "data:,";
      document.querySelector("main")?.append(img);
    });
    expect((await seriousAxeViolations(page)).map((v) => v.id)).toContain("image-alt");
    await page.close();
  });

  // Two walks of every screen, axe on each: longer than the browser project's 60 s on a busy machine.
  it("has no serious or critical axe-core violation on any screen, at 1440 px light and 375 px dark", async () => {
    await browser.context.clearCookies();
    const desktop = await browser.newPage({ width: 1440, height: 900 });
    const wideRun = await walk(desktop);
    await desktop.close();

    await browser.context.clearCookies();
    const phone = await browser.newPage({ width: 375, height: 812 });
    await phone.emulateMedia({ colorScheme: "dark" });
    const phoneRun = await walk(phone);
    await phone.close();

    const all = [
      ...wideRun.violations.map((v) => ({ ...v, at: "1440 light" })),
      ...phoneRun.violations.map((v) => ({ ...v, at: "375 dark" })),
    ];
    console.log(
      `axe-core ${axeVersion}: ${wideRun.screens} screens at 1440 px (light) and ${phoneRun.screens} at 375 px (dark): ` +
        `${all.length} serious or critical violations`,
    );
    for (const v of all)
      console.log(`  ${v.at} ${v.screen}: ${v.id} (${v.impact}) ${v.help} ${JSON.stringify(v.nodes)}`);
    expect(all).toEqual([]);
    expect(phoneRun.wide).toEqual([]);
    expect(wideRun.wide).toEqual([]);
  }, 120_000);
});
