import { fileURLToPath } from "node:url";
import { build } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    consoleDir: string;
  }
}

// Builds the console as `npm run build` does, into a folder of its own (dist/console-test), so that a
// running `npm run dev`, which rebuilds dist/console, never changes the files under test. The build
// prints its first-load size line (console/vite.config.ts) into the test run's output.
export default async function setup(project: TestProject): Promise<void> {
  const outDir = fileURLToPath(new URL("../../../dist/console-test", import.meta.url));
  // vitest sets NODE_ENV=test, which would give Preact's development build; test the shipped one.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  await build({
    configFile: fileURLToPath(new URL("../../../console/vite.config.ts", import.meta.url)),
    mode: "production",
    build: { outDir },
    logLevel: "warn",
  }).finally(() => {
    process.env.NODE_ENV = nodeEnv;
  });
  project.provide("consoleDir", outDir);
}
