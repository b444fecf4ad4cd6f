import { describe, expect, it } from "vitest";
import { IdempotencyKeyValue, requestFingerprint } from "../../src/idempotency/idempotent-request.js";
import { openAnswer, sealAnswer } from "../../src/idempotency/sealed-answer.js";

describe("Idempotency-Key values", () => {
  it("are 1 to 255 visible ASCII characters", () => {
    for (const ok of [
      "a",
      "~".repeat(255),
      "5d2c8c3e-6f7a-4a44-9d1e-1b0f0c9e7a51",
      "!#$%&'()*+,./:;<=>?@[]^_`{|}",
    ]) {
      expect(IdempotencyKeyValue.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of ["", "x".repeat(256), "two words", "tab\there", "é", "new\nline", "a, b"]) {
      expect(IdempotencyKeyValue.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("a request's fingerprint", () => {
  const body = { name: "n", permissions: ["chat:read", "models:list"], limits: { a: 1, b: null } };

  it("is the same for the same body in another member order, with undefined members left out", () => {
    const reordered = {
      limits: { b: null, a: 1 },
      expires_at: undefined,
      permissions: body.permissions,
      name: "n",
    };
    expect(requestFingerprint("post", "/admin/keys", reordered)).toBe(
      requestFingerprint("POST", "/admin/keys", body),
    );
  });

  it("differs by method, path, a value or the order of a list", () => {
    const base = requestFingerprint("POST", "/admin/keys", body);
    expect(requestFingerprint("PATCH", "/admin/keys", body)).not.toBe(base);
    expect(requestFingerprint("POST", "/admin/keys/key_x/rotate", body)).not.toBe(base);
    expect(requestFingerprint("POST", "/admin/keys", { ...body, name: "m" })).not.toBe(base);
    expect(requestFingerprint("POST", "/admin/keys", { ...body, limits: { a: 1, b: 0 } })).not.toBe(base);
    const swapped = { ...body, permissions: ["models:list", "chat:read"] };
    expect(requestFingerprint("POST", "/admin/keys", swapped)).not.toBe(base);
  });
});

describe("a sealed answer", () => {
  const answer = JSON.stringify({ secret: "sk-srt-abc" });

  it("opens with its Idempotency-Key and account only, and holds nothing in clear", () => {
    const sealed = sealAnswer("key-1", "acc_a", answer, undefined);
    expect(sealed).not.toContain("sk-srt");
    expect(openAnswer("key-1", "acc_a", sealed, undefined)).toBe(answer);
    expect(openAnswer("key-2", "acc_a", sealed, undefined)).toBeNull();
    expect(openAnswer("key-1", "acc_b", sealed, undefined)).toBeNull();
    const [version, iv, tag, ciphertext = ""] = sealed.split(".");
    const flipped = `${ciphertext.startsWith("A") ? "B" : "A"}${ciphertext.slice(1)}`;
    expect(openAnswer("key-1", "acc_a", [version, iv, tag, flipped].join("."), undefined)).toBeNull();
    expect(openAnswer("key-1", "acc_a", "v0.x.y.z", undefined)).toBeNull();
  });

  it("needs the server's key too when one was set: a dump and a guessed Idempotency-Key open nothing", () => {
    const serverKey = Buffer.alloc(32, 7);
    const sealed = sealAnswer("key-1", "acc_a", answer, serverKey);
    expect(sealed.startsWith("v2.")).toBe(true);
    expect(openAnswer("key-1", "acc_a", sealed, serverKey)).toBe(answer);
    expect(openAnswer("key-1", "acc_a", sealed, undefined)).toBeNull();
    expect(openAnswer("key-1", "acc_a", sealed, Buffer.alloc(32, 8))).toBeNull();
    // Nor does an answer sealed without a server key open once one is set.
    expect(
      openAnswer("key-1", "acc_a", sealAnswer("key-1", "acc_a", answer, undefined), serverKey),
    ).toBeNull();
  });

  it("is different each time (a fresh IV), for the same answer and key", () => {
    expect(sealAnswer("key-1", "acc_a", answer, undefined)).not.toBe(
      sealAnswer("key-1", "acc_a", answer, undefined),
    );
  });
});
