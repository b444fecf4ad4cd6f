import { eq } from "drizzle-orm";
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema.js";
import { hashSecret } from "../../src/secrets/secrets.js";
import { createAccount, FIXTURE_PASSWORD, insertApiKey } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, keyRow, logIn, readShownKey } from "./support/console-steps.js";

// A key creation or rotation that the server made but whose answer never reached the browser (a
// dropped connection, a proxy's timeout): Retry must show the key that was made, not make another.

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

async function loggedIn(): Promise<{ page: Page; id: string }> {
  const { id, email } = await createAccount(app.env);
  await browser.context.clearCookies();
  const page = await browser.newPage();
  await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
  return { page, id };
}

const keysOf = (accountId: string) =>
  app.env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId));

/**
 * The first POST to `pattern` reaches the server, which answers, and the answer is then lost: the
 * page sees a failed connection. Every POST's Idempotency-Key is recorded, the lost one's first.
 */
async function loseFirstAnswer(page: Page, pattern: string): Promise<{ keys: string[]; lost: number[] }> {
  const seen = { keys: [] as string[], lost: [] as number[] };
  await page.route(pattern, async (route: Route) => {
    const sent = route.request();
    if (sent.method() !== "POST") return route.fallback();
    seen.keys.push(sent.headers()["idempotency-key"] ?? "(none)");
    if (seen.lost.length > 0) return route.continue();
    const response = await route.fetch();
    seen.lost.push(response.status());
    await route.abort("failed");
  });
  return seen;
}

describe("an answer lost on the way", () => {
  it("Create New Key: Retry shows the key the lost call made, and the list has that one key", async () => {
    const { page, id } = await loggedIn();
    const seen = await loseFirstAnswer(page, "**/admin/keys");
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Lost answer");
    await dialog.getByRole("radio", { name: "30 days" }).check();
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await dialog.getByText("keyward could not be reached").waitFor();
    expect(seen.lost).toEqual([201]);
    const [made] = await keysOf(id);
    expect(made?.name).toBe("Lost answer");

    await dialog.getByRole("button", { name: "Retry" }).click();
    const secret = await readShownKey(page);
    expect(hashSecret(secret)).toBe(made?.keyHash);
    expect(seen.keys).toHaveLength(2);
    expect(seen.keys[1]).toBe(seen.keys[0]);
    expect(seen.keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    await closeShownKey(page);
    await keyRow(page, "Lost answer").waitFor();
    expect(await keyRow(page, "Lost answer").count()).toBe(1);
    expect(await keyRow(page, "Lost answer").textContent()).toContain(`sk-srt-…${secret.slice(-4)}`);
    expect(await keysOf(id)).toHaveLength(1);
  });

  it("a changed form after a lost answer is a new request with a new Idempotency-Key", async () => {
    const { page, id } = await loggedIn();
    const seen = await loseFirstAnswer(page, "**/admin/keys");
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("First name");
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await dialog.getByText("keyward could not be reached").waitFor();
    await dialog.getByLabel("Name").fill("Second name");
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await readShownKey(page);
    expect(seen.keys).toHaveLength(2);
    expect(seen.keys[1]).not.toBe(seen.keys[0]);
    expect((await keysOf(id)).map((k) => k.name).sort()).toEqual(["First name", "Second name"]);
  });

  it("Rotate: Retry shows the new key the lost call made, rotated once", async () => {
    const { page, id } = await loggedIn();
    const old = await insertApiKey(app.env, id, { name: "Production App" });
    await page.reload();
    await page.getByRole("link", { name: "Production App" }).click();
    await page.getByRole("heading", { name: "Production App", level: 1 }).waitFor();
    const seen = await loseFirstAnswer(page, "**/admin/keys/*/rotate");
    await page.getByRole("button", { name: "Rotate" }).click();
    const form = page.getByRole("dialog", { name: 'Rotate "Production App"' });
    await form.getByRole("radio", { name: "1 hour" }).check();
    await form.getByRole("button", { name: "Rotate" }).click();
    await form.getByText("keyward could not be reached").waitFor();
    expect(seen.lost).toEqual([201]);

    await form.getByRole("button", { name: "Retry" }).click();
    const secret = await readShownKey(page);
    const successors = (await keysOf(id)).filter((k) => k.rotatedFrom === old.id);
    expect(successors).toHaveLength(1);
    expect(hashSecret(secret)).toBe(successors[0]?.keyHash);
    expect(seen.keys[1]).toBe(seen.keys[0]);
    await closeShownKey(page);
    await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API Keys" }).click();
    await keyRow(page, "Production App").first().waitFor();
    // The old key, rotating, and its one successor.
    expect(await keyRow(page, "Production App").count()).toBe(2);
  });
});
