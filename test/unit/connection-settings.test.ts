import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";
import { postgresSslOption } from "../../src/db/client.js";
import { redisOptions } from "../../src/redis/client.js";

// Heroku hands out DATABASE_URL and REDIS_URL and expects TLS on both, with certificates that do not
// chain to a public root. These settings are decided by pure functions, tested here without a network.

const HEROKU_PG = "postgres://u1abc:p4ss@ec2-3-210-12-34.compute-1.amazonaws.com:5432/d9f8e7";

describe("PostgreSQL TLS (postgresSslOption)", () => {
  it("turns TLS on without certificate verification for a Heroku-like remote URL", () => {
    expect(postgresSslOption(HEROKU_PG, "auto")).toEqual({ rejectUnauthorized: false });
  });

  it("uses no TLS for a local server", () => {
    for (const host of ["localhost", "127.0.0.1", "[::1]"]) {
      expect(postgresSslOption(`postgres://postgres@${host}:5432/keyward`, "auto")).toBe(false);
    }
  });

  it("follows the URL's sslmode in auto mode", () => {
    expect(postgresSslOption(`${HEROKU_PG}?sslmode=disable`, "auto")).toBe(false);
    expect(postgresSslOption(`${HEROKU_PG}?sslmode=require`, "auto")).toEqual({ rejectUnauthorized: false });
    expect(postgresSslOption("postgres://u@127.0.0.1/db?sslmode=require", "auto")).toEqual({
      rejectUnauthorized: false,
    });
    expect(postgresSslOption(`${HEROKU_PG}?sslmode=verify-full`, "auto")).toEqual({
      rejectUnauthorized: true,
    });
    expect(postgresSslOption(`${HEROKU_PG}?sslmode=verify-ca`, "auto")).toEqual({ rejectUnauthorized: true });
  });

  it("lets DATABASE_SSL override whatever the URL says", () => {
    expect(postgresSslOption(HEROKU_PG, "off")).toBe(false);
    expect(postgresSslOption(`${HEROKU_PG}?sslmode=require`, "off")).toBe(false);
    expect(postgresSslOption("postgres://postgres@localhost/keyward", "no-verify")).toEqual({
      rejectUnauthorized: false,
    });
    expect(postgresSslOption(HEROKU_PG, "verify")).toEqual({ rejectUnauthorized: true });
    expect(postgresSslOption(`${HEROKU_PG}?sslmode=disable`, "verify")).toEqual({ rejectUnauthorized: true });
  });

  it("accepts Heroku's postgres:// scheme and postgresql:// alike, and refuses anything else by name", () => {
    expect(parseConfig({ DATABASE_URL: HEROKU_PG }).ok).toBe(true);
    expect(parseConfig({ DATABASE_URL: HEROKU_PG.replace("postgres:", "postgresql:") }).ok).toBe(true);
    const bad = parseConfig({ DATABASE_URL: "mysql://x@y/z" });
    expect(bad).toEqual({ ok: false, message: expect.stringContaining("DATABASE_URL") });
  });
});

describe("Redis connection options (redisOptions)", () => {
  const base = { redisTlsRejectUnauthorized: false };

  it("accepts Heroku Redis' self-signed certificate on rediss:// by default, for both purposes", () => {
    const url = "rediss://:p%40ss%3Aword@ec2-54-1-2-3.compute-1.amazonaws.com:25070";
    for (const purpose of ["commands", "bullmq"] as const) {
      const options = redisOptions({ ...base, redisUrl: url }, purpose);
      expect(options.tls).toEqual({ rejectUnauthorized: false });
      expect(options.host).toBe("ec2-54-1-2-3.compute-1.amazonaws.com");
      expect(options.port).toBe(25070);
      expect(options.password).toBe("p@ss:word");
      expect(options.username).toBeUndefined();
    }
  });

  it("verifies the certificate when REDIS_TLS_REJECT_UNAUTHORIZED=true", () => {
    const parsed = parseConfig({ REDIS_URL: "rediss://h:6380", REDIS_TLS_REJECT_UNAUTHORIZED: "true" });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(redisOptions(parsed.config, "commands").tls).toEqual({ rejectUnauthorized: true });
    expect(redisOptions(parsed.config, "bullmq").tls).toEqual({ rejectUnauthorized: true });
  });

  it("uses no TLS for redis://", () => {
    expect(redisOptions({ ...base, redisUrl: "redis://127.0.0.1:6379" }, "commands").tls).toBeUndefined();
  });

  it("parses username, password, database number and default port", () => {
    const options = redisOptions(
      { ...base, redisUrl: "redis://default:s3cret@cache.internal/3" },
      "commands",
    );
    expect(options).toMatchObject({
      host: "cache.internal",
      port: 6379,
      username: "default",
      password: "s3cret",
      db: 3,
    });
    expect(redisOptions({ ...base, redisUrl: "redis://h:1234" }, "commands").db).toBe(0);
  });

  it("strips the brackets of an IPv6 host", () => {
    const options = redisOptions({ ...base, redisUrl: "rediss://:pw@[2001:db8::1]:6380/1" }, "bullmq");
    expect(options).toMatchObject({ host: "2001:db8::1", port: 6380, db: 1, password: "pw" });
    expect(options.tls).toEqual({ rejectUnauthorized: false });
  });

  it("gives BullMQ blocking connections that never give up, and request-path commands that fail fast", () => {
    const bull = redisOptions({ ...base, redisUrl: "redis://h" }, "bullmq");
    const commands = redisOptions({ ...base, redisUrl: "redis://h" }, "commands");
    // BullMQ refuses a connection whose maxRetriesPerRequest is not null.
    expect(bull.maxRetriesPerRequest).toBeNull();
    expect(bull.commandTimeout).toBeUndefined();
    expect(commands.maxRetriesPerRequest).toBe(1);
    expect(commands.commandTimeout).toBeGreaterThan(0);
  });

  it("refuses a REDIS_URL that is not redis:// or rediss://, naming the variable", () => {
    expect(parseConfig({ REDIS_URL: "http://h:6379" })).toEqual({
      ok: false,
      message: expect.stringContaining("REDIS_URL"),
    });
  });
});

describe("Heroku's PORT and TRUST_PROXY", () => {
  it("reads PORT and the hop count", () => {
    const parsed = parseConfig({ PORT: "41234", TRUST_PROXY: "1" });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.config.port).toBe(41234);
    expect(parsed.config.trustProxyHops).toBe(1);
  });

  it("defaults to port 3000 and trusting no proxy", () => {
    const parsed = parseConfig({});
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.config.port).toBe(3000);
    expect(parsed.config.trustProxyHops).toBe(0);
  });
});
