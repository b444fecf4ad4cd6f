import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI, { AuthenticationError } from "openai";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectRedis } from "../../src/redis/client.js";
import { systemClock } from "../../src/time/clock.js";
import { flushUsage } from "../../src/usage/flush.js";
import {
  freePort,
  killServiceProcesses,
  type ServiceProcess,
  spawnWeb,
  spawnWorker,
  webReady,
  workerReady,
} from "../support/child-processes.js";
import { createTestEnv, type TestEnv } from "../support/harness.js";
import { type ResendStub, startResendStub } from "../support/resend-stub.js";
import { STUB_MODEL, startUpstreamStub, type UpstreamStub } from "../support/upstream-stub.js";
import { waitFor } from "../support/wait-for.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { closeShownKey, fillLogIn, readShownKey } from "./support/console-steps.js";

// The product docs' journey, word for word, in Chromium against real web and worker processes, with
// Resend and the upstream stood in for: Sign Up → the emailed link → Log in → Dashboard > API Keys →
// Create New Key ("Development", default permissions) → Generate Key → Copy → the key works with the
// OpenAI SDK → the list shows it as last used → Rotate with a grace period → Revoke → 401.
// The run also takes the README's screenshots: into docs/ when asked (UPDATE_SCREENSHOTS=1), else into
// a temporary folder, so that a test run leaves the working tree as it found it.

const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const SHOTS = UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL("../../docs/", import.meta.url))
  : `${mkdtempSync(join(tmpdir(), "keyward-screenshots-"))}/`;
const PASSWORD = "console journey passphrase 8";

let env: TestEnv;
let resend: ResendStub;
let upstream: UpstreamStub;
let web: ServiceProcess;
let worker: ServiceProcess;
let origin: string;
let browser: ConsoleBrowser;
let page: Page;

beforeAll(async () => {
  [resend, upstream] = await Promise.all([startResendStub(), startUpstreamStub()]);
  env = await createTestEnv();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const processEnv = {
    ...env.env,
    PORT: String(port),
    PUBLIC_URL: origin,
    // Unset: the emails link to the bundled console, PUBLIC_URL/console.
    CONSOLE_URL: "",
    CONSOLE_ORIGINS: "",
    CONSOLE_DIR: inject("consoleDir"),
    RESEND_API_KEY: "re_console_journey",
    RESEND_BASE_URL: resend.url,
    UPSTREAM_URL: upstream.url,
    // The test drives the last-used flush itself, at the moment it needs it.
    LAST_USED_FLUSH_MS: "3600000",
  };
  web = spawnWeb(processEnv);
  worker = spawnWorker(processEnv);
  await Promise.all([webReady(web, origin, 40_000), workerReady(worker, 40_000)]);
  browser = await launchBrowser({ origin });
  page = await browser.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await killServiceProcesses();
  await Promise.allSettled([env?.close(), resend?.close(), upstream?.close()]);
  if (!UPDATE_SCREENSHOTS) rmSync(SHOTS, { recursive: true, force: true });
});

const sdk = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${origin}/v1`, maxRetries: 0 });
const rowOf = (last4: string) => page.getByRole("row").filter({ hasText: `sk-srt-…${last4}` });

describe("the product docs' journey in the bundled console", () => {
  const email = `journey-${Date.now().toString(36)}@example.com`;
  const state = { secret: "", rotated: "" };

  it("Sign Up, verify the email via the confirmation link, Log in", async () => {
    await page.goto(`${origin}/`);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.getByRole("link", { name: "Sign Up" }).click();
    await page.getByRole("heading", { name: "Sign Up" }).waitFor();
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign Up" }).click();
    await page.getByRole("heading", { name: "Check your inbox" }).waitFor();

    const mail = await waitFor("the verification email at Resend", async () =>
      resend.delivered.find((m) => m.to === email),
    );
    const link = mail.text.split("\n").find((l) => l.startsWith("http")) ?? "";
    expect(link.startsWith(`${origin}/console/verify-email?token=`)).toBe(true);
    await page.goto(link);
    await page.getByText("Your email address is verified.").waitFor();
    await page.getByRole("link", { name: "Log in" }).click();
    await fillLogIn(page, email, PASSWORD);
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
  });

  it("Dashboard > API Keys > Create New Key, Development, default permissions, Generate Key, Copy", async () => {
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API Keys" }).click();
    await page.getByRole("heading", { name: "You have no API keys yet" }).waitFor();
    expect(await page.locator("pre").textContent()).toContain(`curl ${origin}/v1/chat/completions`);

    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Development");
    for (const p of ["chat:read", "embeddings:read", "models:list"]) {
      expect(await dialog.getByRole("checkbox", { name: p }).isChecked()).toBe(true);
    }
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    state.secret = await readShownKey(page);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}console-key-shown-once.png` });

    const shown = page.getByRole("dialog", { name: "Your new API key" });
    await shown.getByRole("button", { name: "Copy the API key" }).click();
    await shown.getByText("Copied").first().waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(state.secret);
    await closeShownKey(page);
    await rowOf(state.secret.slice(-4)).waitFor();
  });

  it("the copied key works with the OpenAI SDK, and the list then shows it as last used", async () => {
    const answer = await sdk(state.secret).chat.completions.create({
      model: STUB_MODEL,
      messages: [{ role: "user", content: "Hello!" }],
    });
    expect(answer.choices[0]?.message).toBeDefined();
    expect(await rowOf(state.secret.slice(-4)).getByRole("cell").nth(4).textContent()).toBe("Never");

    // The worker's flush, run now rather than waited for: the use is in Redis once /v1 has answered.
    const redis = connectRedis(env.config, "commands");
    try {
      const flushed = await flushUsage({
        database: env.database,
        redis,
        config: env.config,
        logger: env.logger,
        clock: systemClock,
      });
      expect(flushed.keys).toBe(1);
    } finally {
      await redis.quit();
    }
    await page.reload();
    const lastUsed = rowOf(state.secret.slice(-4)).getByRole("cell").nth(4);
    await expect.poll(() => lastUsed.textContent()).toBe("just now");
    expect(await lastUsed.locator("time").getAttribute("title")).toMatch(/\d{4}/);
    await rowOf(state.secret.slice(-4)).getByRole("img", { name: "1 request in the last 7 days" }).waitFor();
    await page.screenshot({ path: `${SHOTS}console-api-keys.png` });
  });

  it("Rotate with a grace period: the new key is shown once, the old one is rotating and still works", async () => {
    await page.getByRole("link", { name: "Development" }).click();
    await page.getByRole("heading", { name: "Development", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Rotate" }).click();
    const dialog = page.getByRole("dialog", { name: 'Rotate "Development"' });
    await dialog.getByRole("radio", { name: "1 hour" }).check();
    await dialog.getByRole("button", { name: "Rotate" }).click();
    state.rotated = await readShownKey(page);
    expect(state.rotated).not.toBe(state.secret);
    await closeShownKey(page);

    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API Keys" }).click();
    await rowOf(state.rotated.slice(-4)).waitFor();
    expect(await rowOf(state.secret.slice(-4)).getByRole("cell").nth(5).textContent()).toBe("Rotating");
    expect(await rowOf(state.rotated.slice(-4)).getByRole("cell").nth(5).textContent()).toBe("Active");
    expect((await sdk(state.secret).models.list()).data.length).toBeGreaterThan(0);
    expect((await sdk(state.rotated).models.list()).data.length).toBeGreaterThan(0);
    // The old key's own page says so too.
    await rowOf(state.secret.slice(-4)).getByRole("link", { name: "Development" }).click();
    await page.getByRole("heading", { name: "Development", level: 1 }).waitFor();
    await page.getByText("Rotating", { exact: true }).waitFor();
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API Keys" }).click();
    await rowOf(state.secret.slice(-4)).waitFor();
  });

  it("Revoke, confirmed by name: the list shows it at once and the old key gets 401 invalid_api_key", async () => {
    await rowOf(state.secret.slice(-4)).getByRole("button", { name: "Revoke Development" }).click();
    const confirm = page.getByRole("dialog", { name: 'Revoke "Development"?' });
    expect(await confirm.textContent()).toContain(`sk-srt-…${state.secret.slice(-4)}`);
    await confirm.getByRole("button", { name: "Revoke", exact: true }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await rowOf(state.secret.slice(-4)).getByRole("cell").nth(5).textContent()).toBe("Revoked");

    const refused = await sdk(state.secret)
      .models.list()
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect((refused as AuthenticationError).code).toBe("invalid_api_key");
    expect((await sdk(state.rotated).models.list()).data.length).toBeGreaterThan(0);
  });
});
