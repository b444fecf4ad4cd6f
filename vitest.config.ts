import { defineConfig } from "vitest/config";

// Three projects, all run by `npm test`: unit tests (test/unit: no database, no Redis;
// `npx vitest run --project unit` runs them alone in seconds), integration tests of the API and the
// processes (the rest of test/, on real PostgreSQL and Redis), and the console driven in Chromium.
// Each integration or browser file gets its own database and Redis prefix, so files run in parallel.
export default defineConfig({
  test: {
    pool: "forks",
    maxWorkers: 2,
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 } },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: ["test/unit/**", "test/browser/**"],
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
