import argon2 from "argon2";
import { describe, expect, it, vi } from "vitest";
import {
  ARGON2_OPTIONS,
  hashPassword,
  isCommonPassword,
  passwordProblem,
  verifyAgainstDummy,
  verifyPassword,
} from "../../src/accounts/passwords.js";

describe("password rules", () => {
  it("counts length in code points: 12 to 256", () => {
    expect(passwordProblem("a".repeat(11), "u@example.com")).toMatch(/at least 12/);
    // Varied strings of exact lengths: repetitions are refused by a rule of their own (below).
    const varied = (n: number) =>
      Array.from({ length: n }, (_, i) => "qzmxwnbvkalspdjfhgtr"[(i * 7) % 19]).join("");
    const emoji = (n: number) =>
      Array.from({ length: n }, (_, i) => String.fromCodePoint(0x1f600 + ((i * 37) % 80))).join("");
    expect(passwordProblem(varied(12), "u@example.com")).toBeNull();
    expect(passwordProblem(varied(256), "u@example.com")).toBeNull();
    expect(passwordProblem(varied(257), "u@example.com")).toMatch(/at most 256/);
    expect(passwordProblem(emoji(11), "u@example.com")).toMatch(/at least 12/);
    expect(passwordProblem(emoji(12), "u@example.com")).toBeNull();
    expect(passwordProblem(emoji(256), "u@example.com")).toBeNull();
  });

  it("refuses the email's local part, equal or contained, in any case", () => {
    expect(passwordProblem("Christopher.Smith", "christopher.smith@example.com")).toMatch(/email/);
    expect(passwordProblem("my name is CHRISTOPHER", "christopher@example.com")).toMatch(/email/);
    expect(passwordProblem("completely unrelated", "christopher@example.com")).toBeNull();
  });

  it("refuses common passwords from the bundled list, case-insensitively", () => {
    expect(isCommonPassword("password")).toBe(true);
    expect(isCommonPassword("PassWord")).toBe(true);
    expect(isCommonPassword("q1w2e3r4t5y6")).toBe(true);
    expect(passwordProblem("Q1W2E3R4T5Y6", "u@example.com")).toMatch(/common/);
    expect(isCommonPassword("a perfectly fine passphrase")).toBe(false);
  });
});

describe("predictable passwords (NIST 800-63B: repetitive, sequential, context-specific)", () => {
  const problem = (p: string) => passwordProblem(p, "chris@example.com");

  it("refuses repeated characters and repeated short units, saying so", () => {
    expect(problem("aaaaaaaaaaaa")).toMatch(/repeated characters/);
    expect(problem("zqzqzqzqzqzq")).toMatch(/repeated/);
    expect(problem("aaaabbbbcccc")).toMatch(/repeated/);
    expect(problem("🔑".repeat(12))).toMatch(/repeated/);
  });

  it("refuses sequences, ascending or descending, digits wrapping past 9", () => {
    expect(problem("123456789012")).not.toBeNull();
    expect(problem("abcdefghijkl")).toMatch(/sequential characters/);
    expect(problem("9876543210ab")).toMatch(/sequential/);
  });

  it("refuses a common word padded with a sequence: password123456", () => {
    expect(problem("password123456")).toMatch(/common password/);
    expect(problem("Password123456!")).toMatch(/sequential characters .* and a common password/);
  });

  it("refuses passwords built from the service's name", () => {
    expect(problem("keyward-keyward!")).toMatch(/the service's name/);
    expect(problem("Keyward2026!!")).toMatch(/the service's name/);
    expect(problem("keyward123456")).toMatch(/the service's name and sequential characters/);
  });

  it("accepts passwords whose unpredictable part is long enough, sequences and the name included", () => {
    for (const ok of [
      "correct horse battery staple 42",
      "mydogbarks12345",
      "keyward rocks my socks",
      "tr0ub4dor&3xx",
    ]) {
      expect(problem(ok)).toBeNull();
    }
  });
});

describe("argon2id hashing", () => {
  it("hashes with argon2id at m=19456 KiB, t=2, p=1 and verifies", async () => {
    const hash = await hashPassword("a perfectly fine passphrase");
    expect(hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(hash).toContain("m=19456");
    expect(hash).toContain("t=2");
    expect(hash).toContain("p=1");
    expect(await verifyPassword(hash, "a perfectly fine passphrase")).toEqual({ ok: true, rehash: null });
    expect(await verifyPassword(hash, "a perfectly fine passphrasE")).toEqual({ ok: false, rehash: null });
    expect(await verifyPassword("not a hash", "whatever")).toEqual({ ok: false, rehash: null });
  });

  it("asks for a rehash when the stored hash used weaker parameters", async () => {
    const weak = await argon2.hash("a perfectly fine passphrase", {
      type: argon2.argon2id,
      memoryCost: 4096,
      timeCost: 1,
    });
    const result = await verifyPassword(weak, "a perfectly fine passphrase");
    expect(result.ok).toBe(true);
    expect(result.rehash).toContain(`m=${ARGON2_OPTIONS.memoryCost}`);
  });

  // What makes a verification slow is its parameters, not the clock of this machine: counting argon2
  // calls and reading the parameters says the same as timing them, without flaking under load.
  it("hashes with argon2id at 19 MiB and t=2, and the dummy verification runs one verification as costly", async () => {
    // The PHC string: $argon2id$v=19$m=…,p=…,t=…$salt$hash (the parameters in any order).
    const params = (hash: unknown) =>
      Object.fromEntries([...String(hash).matchAll(/([mtp])=(\d+)/g)].map(([, k, v]) => [k, Number(v)]));
    const todays = {
      m: ARGON2_OPTIONS.memoryCost,
      t: ARGON2_OPTIONS.timeCost,
      p: ARGON2_OPTIONS.parallelism,
    };
    expect(ARGON2_OPTIONS).toMatchObject({ memoryCost: 19_456, timeCost: 2 });
    const hash = await hashPassword("measure a passphrase");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(params(hash)).toEqual(todays);
    await verifyAgainstDummy("warm up: the dummy hash is made once");
    const verify = vi.spyOn(argon2, "verify");
    try {
      await verifyAgainstDummy("measure 1 passphrase");
      expect(verify).toHaveBeenCalledTimes(1);
      expect(params(verify.mock.calls[0]?.[0])).toEqual(todays);
    } finally {
      verify.mockRestore();
    }
  });
});
