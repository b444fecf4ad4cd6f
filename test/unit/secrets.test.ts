import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_ENTROPY_BITS,
  API_KEY_PREFIX,
  crc32,
  generateApiKey,
  generateToken,
  hashesEqual,
  hashSecret,
  isWellFormedApiKey,
  randomBase62,
} from "../../src/secrets/secrets.js";

const KEY_SHAPE = /^sk-srt-[A-Za-z0-9]{32}$/;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62Char = fc.constantFrom(...BASE62.split(""));

describe("API keys", () => {
  it("carry 154 bits in their random part: 26 base62 characters, the checksum adding none", () => {
    expect(API_KEY_ENTROPY_BITS).toBe(Math.floor(26 * Math.log2(62)));
    expect(API_KEY_ENTROPY_BITS).toBe(154);
  });

  it("are sk-srt- and 32 base62 characters, pass their own checksum, and store only a SHA-256", () => {
    for (let i = 0; i < 2000; i++) {
      const { secret, hash, last4 } = generateApiKey();
      expect(secret).toMatch(KEY_SHAPE);
      expect(isWellFormedApiKey(secret)).toBe(true);
      expect(hash).toBe(createHash("sha256").update(secret).digest("hex"));
      expect(hash).not.toContain(secret.slice(API_KEY_PREFIX.length));
      expect(last4).toBe(secret.slice(-4));
    }
  });

  it("are unique", () => {
    const seen = new Set(Array.from({ length: 20_000 }, () => generateApiKey().secret));
    expect(seen.size).toBe(20_000);
  });

  it("refuse any single-character change (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: API_KEY_PREFIX.length, max: 38 }), base62Char, (index, replacement) => {
        const { secret } = generateApiKey();
        fc.pre(secret[index] !== replacement);
        const changed = secret.slice(0, index) + replacement + secret.slice(index + 1);
        expect(changed).toMatch(KEY_SHAPE);
        expect(isWellFormedApiKey(changed)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it("refuse a swap of two different neighbouring characters (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: API_KEY_PREFIX.length, max: 37 }), (index) => {
        const { secret } = generateApiKey();
        fc.pre(secret[index] !== secret[index + 1]);
        const swapped = secret.slice(0, index) + secret[index + 1] + secret[index] + secret.slice(index + 2);
        expect(isWellFormedApiKey(swapped)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuse made-up keys of the right shape (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^sk-srt-[A-Za-z0-9]{32}$/), (candidate) => {
        expect(isWellFormedApiKey(candidate)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("accept nothing that lacks the exact shape (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (candidate) => {
        if (isWellFormedApiKey(candidate)) expect(candidate).toMatch(KEY_SHAPE);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuse other providers' prefixes and near misses of a valid key", () => {
    const { secret } = generateApiKey();
    const body = secret.slice(API_KEY_PREFIX.length);
    for (const candidate of [
      `sk-${body}`,
      `key-${body}`,
      `sk-proj-${body}`,
      `SK-SRT-${body}`,
      `sk_srt_${body}`,
      `sk-srt-${body}x`,
      secret.slice(0, -1),
      ` ${secret}`,
      `${secret}\n`,
      secret.replace(/.$/, "-"),
      "",
      API_KEY_PREFIX,
    ]) {
      expect(isWellFormedApiKey(candidate), JSON.stringify(candidate)).toBe(false);
    }
  });

  it("use the standard CRC32 (so scanners can check keys independently)", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
  });

  it("draw base62 characters evenly", () => {
    const sample = randomBase62(62 * 2000);
    expect(sample).toMatch(/^[A-Za-z0-9]+$/);
    const counts = new Map<string, number>();
    for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 2000 each; a bias of a whole 1/62 share (as `byte % 62` without rejection gives) shows here.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(400);
  });
});

describe("session and email tokens", () => {
  it("carry at least 256 bits, are URL-safe and unique", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const { token, hash } = generateToken();
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url").length * 8).toBeGreaterThanOrEqual(256);
      expect(hash).toBe(hashSecret(token));
      seen.add(token);
    }
    expect(seen.size).toBe(10_000);
  });
});

describe("hashes", () => {
  it("are lower-case hex SHA-256, deterministic (property)", () => {
    fc.assert(
      fc.property(fc.string(), (secret) => {
        const hash = hashSecret(secret);
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(hashSecret(secret)).toBe(hash);
        expect(hash).toBe(createHash("sha256").update(secret, "utf8").digest("hex"));
      }),
    );
  });

  it("compare equal only when identical (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const x = hashSecret(a);
        const y = hashSecret(b);
        expect(hashesEqual(x, x)).toBe(true);
        expect(hashesEqual(x, y)).toBe(a === b);
      }),
    );
    expect(hashesEqual("abc", "abcd")).toBe(false);
    expect(hashesEqual("", "")).toBe(true);
  });
});
