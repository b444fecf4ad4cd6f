import type { Page } from "playwright-core";
import { expect } from "vitest";

// The steps a person takes, by role and accessible name, in the product docs' words.

export async function logIn(page: Page, consoleUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${consoleUrl}log-in`);
  await fillLogIn(page, email, password);
  await page.getByRole("heading", { name: "API Keys", level: 1 }).waitFor();
}

export async function fillLogIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole("heading", { name: "Log in", level: 1 }).waitFor();
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Create New Key → name → (permissions) → Generate Key; returns the key shown once. */
export async function createKey(
  page: Page,
  name: string,
  opts: { uncheck?: string[] } = {},
): Promise<string> {
  await page.getByRole("button", { name: "Create New Key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create New Key" });
  await dialog.getByLabel("Name").fill(name);
  for (const permission of opts.uncheck ?? [])
    await dialog.getByRole("checkbox", { name: permission }).uncheck();
  await dialog.getByRole("button", { name: "Generate Key" }).click();
  return readShownKey(page);
}

export async function readShownKey(page: Page): Promise<string> {
  const shown = page.getByRole("dialog", { name: "Your new API key" });
  const secret = await shown.getByLabel("Your API key").inputValue();
  expect(secret).toMatch(/^sk-srt-[A-Za-z0-9]{32}$/);
  return secret;
}

/** Done → the guard ("You won't see this key again") → Yes, close. */
export async function closeShownKey(page: Page): Promise<void> {
  const shown = page.getByRole("dialog", { name: "Your new API key" });
  await shown.getByRole("button", { name: "Done" }).click();
  await expect.poll(() => shown.getByText("You won't see this key again").isVisible()).toBe(true);
  await shown.getByRole("button", { name: "Yes, close" }).click();
  await shown.waitFor({ state: "detached" });
}

/** The table row of a key, found by its name. */
export function keyRow(page: Page, name: string) {
  return page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
}
