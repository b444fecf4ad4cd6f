import { spawnSync } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";

describe("configuration", () => {
  it("has local defaults for everything", () => {
    const result = parseConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      port: 3000,
      sessionTtlHours: 168,
      sessionIdleHours: 24,
      rateLimitsPerMinute: { free: 60, pro: 600, enterprise: 6000 },
      secureCookies: false,
      trustProxyHops: 0,
    });
  });

  it("defaults PUBLIC_URL, its origin and the console's address to localhost on PORT", () => {
    for (const [env, url] of [
      [{}, "http://localhost:3000"],
      [{ PORT: "3001" }, "http://localhost:3001"],
      [{ PORT: "3001", PUBLIC_URL: "https://api.example.com" }, "https://api.example.com"],
    ] as const) {
      const result = parseConfig(env);
      expect(result.ok && result.config.publicUrl, JSON.stringify(env)).toBe(url);
      expect(result.ok && result.config.publicOrigin, JSON.stringify(env)).toBe(url);
      expect(result.ok && result.config.consoleUrl, JSON.stringify(env)).toBe(`${url}/console`);
    }
  });

  it("turns on Secure cookies for an https PUBLIC_URL and reads CONSOLE_ORIGINS as a list", () => {
    const result = parseConfig({
      PUBLIC_URL: "https://api.example.com",
      CONSOLE_ORIGINS: "https://console.example.com, http://localhost:5173/",
    });
    expect(result.ok && result.config.secureCookies).toBe(true);
    expect(result.ok && result.config.consoleOrigins).toEqual([
      "https://console.example.com",
      "http://localhost:5173",
    ]);
  });

  it.each([
    ["PORT", "not-a-port"],
    ["DATABASE_URL", "mysql://localhost/db"],
    ["REDIS_URL", "http://localhost:6379"],
    ["CONSOLE_URL", "console.example.com"],
    ["SESSION_TTL_HOURS", "-5"],
    ["RATE_LIMIT_FREE", "many"],
  ])("names %s when it is invalid, in one line", (name, value) => {
    const result = parseConfig({ [name]: value });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(name);
    expect(result.message).not.toContain("\n");
  });

  it("stops the web process with exit code 1 and one line naming the variable", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/api/main.ts"], {
      env: { PATH: process.env.PATH, REDIS_URL: "http://nope" },
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("REDIS_URL");
  });

  it("stops the web process with exit code 1 and one line when its port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const run = spawnSync(process.execPath, ["--import", "tsx", "src/api/main.ts"], {
        env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: "silent" },
        encoding: "utf8",
        timeout: 15_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split("\n")).toEqual([`PORT: ${port} is already in use`]);
    } finally {
      taken.close();
    }
  });
});
