import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, FIXTURE_PASSWORD, insertApiKey } from "../support/fixtures.js";
import { type ConsoleBrowser, launchBrowser } from "./support/browser.js";
import { type ConsoleApp, startConsoleApp } from "./support/console-app.js";
import { closeShownKey, createKey, logIn, readShownKey } from "./support/console-steps.js";

// A key is shown once: until the person closes it through the console's own question, neither the
// browser's Back or Forward nor a reload may take it off the screen without asking.

let app: ConsoleApp;
let browser: ConsoleBrowser;

beforeAll(async () => {
  // The models this deployment serves (listed: no upstream needs to run), none of them the docs'
  // example "vllm-primary": the snippets must name one a pasted call can use.
  app = await startConsoleApp({
    UPSTREAMS: JSON.stringify([{ url: "http://127.0.0.1:9", models: ["llama-3-8b", "qwen-2-7b"] }]),
  });
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

/** The browser's own "Leave site?" prompts the page raises; each is answered Stay. */
function watchLeavePrompts(page: Page): string[] {
  const prompts: string[] = [];
  page.on("dialog", (dialog) => {
    prompts.push(dialog.type());
    void dialog.dismiss();
  });
  return prompts;
}

/** Reload, which the page may hold back with a prompt (answered Stay by watchLeavePrompts). */
async function tryReload(page: Page): Promise<void> {
  await page.reload({ timeout: 3_000 }).catch(() => undefined);
}

const question = (page: Page) => page.getByText("You won't see this key again");
const run = promisify(execFile);

/** Rotate an inserted key from its page, which shows the new key once, with the old key's models. */
async function rotateInserted(page: Page, accountId: string, name: string, models: string[]): Promise<void> {
  await insertApiKey(app.env, accountId, { name, models });
  await page.reload();
  await page.getByRole("link", { name }).click();
  await page.getByRole("heading", { name, level: 1 }).waitFor();
  await page.getByRole("button", { name: "Rotate" }).click();
  const form = page.getByRole("dialog", { name: `Rotate "${name}"` });
  await form.getByRole("button", { name: "Rotate" }).click();
  await readShownKey(page);
}

/** The two curl snippets of the key shown once. */
async function curlSnippets(page: Page): Promise<string[]> {
  const shown = page.getByRole("dialog", { name: "Your new API key" });
  await shown.waitFor();
  const curls = (await shown.locator("pre").allTextContents()).filter((code) => code.startsWith("curl"));
  expect(curls).toHaveLength(2);
  return curls;
}

describe("a key shown once", () => {
  it("stays on screen through Back and reload until closed through the console's question", async () => {
    const { page } = await loggedIn();
    const prompts = watchLeavePrompts(page);
    const secret = await createKey(page, "Development");
    const shown = page.getByRole("dialog", { name: "Your new API key" });

    await page.goBack();
    // The key is still there, the address still the dialog's, and the console asks.
    await question(page).waitFor();
    expect(await shown.getByLabel("Your API key").inputValue()).toBe(secret);
    expect(new URL(page.url()).searchParams.get("new")).toBe("1");
    expect(prompts).toEqual([]);

    await tryReload(page);
    expect(prompts).toEqual(["beforeunload"]);
    expect(await readShownKey(page)).toBe(secret);

    // Go back keeps the key; a second Back asks again, and Yes, close leaves as Back asked.
    await shown.getByRole("button", { name: "Go back" }).click();
    await question(page).waitFor({ state: "detached" });
    await page.goBack();
    await question(page).waitFor();
    await shown.getByRole("button", { name: "Yes, close" }).click();
    await shown.waitFor({ state: "detached" });
    expect(new URL(page.url()).searchParams.get("new")).toBeNull();
    await page.getByRole("link", { name: "Development" }).waitFor();

    // Nothing is held once the key is closed.
    await page.getByRole("link", { name: "Development" }).click();
    await page.getByRole("heading", { name: "Development", level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
    await page.reload();
    expect(prompts).toEqual(["beforeunload"]);
  });

  it("holds a rotated key on its page through Back, and Yes, close then leaves as asked", async () => {
    const { page, id } = await loggedIn();
    const prompts = watchLeavePrompts(page);
    await insertApiKey(app.env, id, { name: "Production App" });
    await page.reload();
    await page.getByRole("link", { name: "Production App" }).click();
    await page.getByRole("heading", { name: "Production App", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Rotate" }).click();
    const form = page.getByRole("dialog", { name: 'Rotate "Production App"' });
    await form.getByRole("radio", { name: "None: the old key stops now" }).check();
    await form.getByRole("button", { name: "Rotate" }).click();
    const secret = await readShownKey(page);

    await page.goBack();
    await question(page).waitFor();
    expect(await readShownKey(page)).toBe(secret);
    expect(new URL(page.url()).pathname).toMatch(/\/key$/);
    await tryReload(page);
    expect(prompts).toEqual(["beforeunload"]);

    await page
      .getByRole("dialog", { name: "Your new API key" })
      .getByRole("button", { name: "Yes, close" })
      .click();
    await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
    expect(await page.getByRole("dialog").count()).toBe(0);
    await page.reload();
    expect(prompts).toEqual(["beforeunload"]);
  });

  it("offers curl snippets that name a model the key may use on this deployment", async () => {
    const { page } = await loggedIn();
    const modelOfSnippets = async () =>
      (await curlSnippets(page)).map((code) => /"model": "([^"]+)"/.exec(code)?.[1]);
    await createKey(page, "Every model");
    await expect.poll(modelOfSnippets).toEqual(["llama-3-8b", "llama-3-8b"]);
    // The key is in the curl commands and the environment variable's line, never in the SDK snippets,
    // which read it from the environment (pasted into a source file, they hold no key).
    const secret = await readShownKey(page);
    const codes = await page
      .getByRole("dialog", { name: "Your new API key" })
      .locator("pre")
      .allTextContents();
    expect(codes.filter((code) => code.includes(secret)).map((code) => code.split(" ")[0])).toEqual([
      "curl",
      "curl",
      "export",
    ]);
    expect(codes.filter((code) => code.includes("SOLIDRUST_API_KEY")).length).toBe(3);
    await closeShownKey(page);

    await page.getByRole("button", { name: "Create New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create New Key" });
    await dialog.getByLabel("Name").fill("Qwen only");
    await dialog.getByRole("radio", { name: "Only these models" }).check();
    await dialog.getByRole("checkbox", { name: "qwen-2-7b" }).check();
    await dialog.getByRole("button", { name: "Generate Key" }).click();
    await expect.poll(modelOfSnippets).toEqual(["qwen-2-7b", "qwen-2-7b"]);
  });

  it("names the key's first model this deployment serves, not one it does not", async () => {
    const { page, id } = await loggedIn();
    // A key's models are not checked against the upstreams: "retired-model" is the key's, not served.
    await rotateInserted(page, id, "Mixed models", ["retired-model", "qwen-2-7b"]);
    await expect
      .poll(async () => (await curlSnippets(page)).map((code) => /"model": "([^"]+)"/.exec(code)?.[1]))
      .toEqual(["qwen-2-7b", "qwen-2-7b"]);
  });

  it("gives curl snippets that, pasted into bash, send the key's model exactly and run nothing else", async () => {
    const { page, id } = await loggedIn();
    // Key models may hold quotes (only control characters and edge spaces are refused): pasted raw into
    // the single-quoted body, this one would end the quoting and run its own command, which prints
    // "ran42" (the answer quotes the id itself, "ran$((6*7))", unexpanded).
    const model = `say "hi"'; echo ran$((6*7)); echo '`;
    await rotateInserted(page, id, "Quoted model", [model]);
    for (const code of await curlSnippets(page)) {
      // The deployment does not serve it, so the gateway answers 404 naming the model it was sent.
      const { stdout } = await run("bash", ["-c", code], { timeout: 10_000 });
      expect(stdout).not.toContain("ran42");
      expect(JSON.parse(stdout)).toMatchObject({
        error: {
          code: "model_not_found",
          message: `The model \`${model}\` does not exist or you do not have access to it.`,
        },
      });
    }
  });
});
