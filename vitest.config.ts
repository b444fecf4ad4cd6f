import { defineConfig } from "vitest/config";

// Two projects: the API and processes (node), and the console driven in Chromium. Each file gets its
// own database and Redis prefix, so files run in parallel.
export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "api",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          // The console is built once per run (its size printed), into its own folder.
          globalSetup: ["test/support/global-setup.ts", "test/browser/support/build-console.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
