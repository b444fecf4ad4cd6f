import { defineConfig } from "vitest/config";

// Two projects, both run by `npm test`: unit tests (test/unit: no database, no Redis, no process; a
// second or two in all) and integration tests (everything else, on real PostgreSQL and Redis).
// `npx vitest run --project unit` runs the fast ones alone.
export default defineConfig({
  test: {
    // Each integration file gets its own database and Redis prefix, so files run in parallel.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: ["test/unit/**"],
          globalSetup: ["test/support/global-setup.ts"],
        },
      },
    ],
  },
});
