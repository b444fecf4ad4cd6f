import { eq } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema.js";
import { createAccount, FIXTURE_PASSWORD } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser, seriousAxeViolations } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, logIn, readShownKey } from "./support/console-steps.js";

// A key's models in the console: chosen at creation from the models the gateway serves, shown and
// changed on the key's page, by role and accessible name as a person does it.

let app: ConsoleApp;
let browser: ConsoleBrowser;

beforeAll(async () => {
  // Listed models: the console's choice needs no upstream to be running.
  app = await startConsoleApp({
    UPSTREAMS: JSON.stringify([
      { url: "http://127.0.0.1:9", models: ["vllm-primary"] },
      { url: "http://127.0.0.2:9", models: ["vllm-small"] },
    ]),
  });
  browser = await launchBrowser({ origin: app.origin });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function modelsOf(accountId: string) {
  const rows = await app.env.database.db.select().from(apiKeys).where(eq(apiKeys.accountId, accountId));
  return rows.map((r) => r.models);
}

async function signedIn(): Promise<{ page: Page; id: string }> {
  const { id, email } = await createAccount(app.env);
  await browser.context.clearCookies();
  const page = await browser.newPage();
  await logIn(page, app.consoleUrl, email, FIXTURE_PASSWORD);
  return { page, id };
}

describe("a key's models in the console", () => {
  it("are all models by default, or only the ones checked from the models served", async () => {
    const { page, id } = await signedIn();
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Small only");
    expect(await dialog.getByRole("radio", { name: "All models" }).isChecked()).toBe(true);
    await dialog.getByRole("radio", { name: "Only these models" }).check();
    // Every model served, each once, none checked yet.
    const group = dialog.getByRole("group", { name: "Models this key may use" });
    await group.getByRole("checkbox", { name: "vllm-small" }).waitFor();
    const names = await group
      .getByRole("checkbox")
      .evaluateAll((boxes) =>
        boxes.map((b) => [(b as HTMLInputElement).labels?.[0]?.textContent, (b as HTMLInputElement).checked]),
      );
    expect(names).toEqual([
      ["vllm-primary", false],
      ["vllm-small", false],
    ]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await dialog.getByRole("checkbox", { name: "vllm-small" }).check();
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await readShownKey(page);
    await closeShownKey(page);
    expect(await modelsOf(id)).toEqual([["vllm-small"]]);

    await page.getByRole("link", { name: "Small only" }).click();
    await page.getByRole("heading", { name: "Small only", level: 1 }).waitFor();
    const details = page.getByRole("definition").filter({ hasText: "vllm-small" });
    expect(await details.count()).toBe(1);
    await page.close();
  });

  it("are changed on the key's page, and an empty list is refused beside the choice", async () => {
    const { page, id } = await signedIn();
    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Everything");
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await readShownKey(page);
    await closeShownKey(page);
    expect(await modelsOf(id)).toEqual([null]);

    await page.getByRole("link", { name: "Everything" }).click();
    const section = page.getByRole("region", { name: "Models" });
    await section.getByRole("radio", { name: "Only these models" }).check();
    await section.getByRole("button", { name: "Save Models" }).click();
    await section.getByText("must list at least one model").waitFor();
    expect(await modelsOf(id)).toEqual([null]);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await section.getByRole("checkbox", { name: "vllm-primary" }).check();
    await section.getByRole("button", { name: "Save Models" }).click();
    await section.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect(await modelsOf(id)).toEqual([["vllm-primary"]]);

    await page.reload();
    const reloaded = page.getByRole("region", { name: "Models" });
    expect(await reloaded.getByRole("checkbox", { name: "vllm-primary" }).isChecked()).toBe(true);
    await reloaded.getByRole("radio", { name: "All models" }).check();
    await reloaded.getByRole("button", { name: "Save Models" }).click();
    await reloaded.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect(await modelsOf(id)).toEqual([null]);
    await page.close();
  });
});
