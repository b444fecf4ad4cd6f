import request from "supertest";
import { expect } from "vitest";
import { totpCodeAt } from "../../src/totp/totp-codes.js";
import { FIXTURE_PASSWORD } from "./fixtures.js";
import type { TestApp } from "./harness.js";

/** A 64-hex-character TOTP_ENCRYPTION_KEY for tests (not a secret of any real deployment). */
export const TEST_TOTP_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";

/** Turns the second factor on through the API, as the console would; the secret and recovery codes. */
export async function enrolTotp(
  app: TestApp,
  token: string,
  now: Date,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const begun = await request(app.app)
    .post("/admin/me/totp")
    .set("Authorization", `Bearer ${token}`)
    .send({ password: FIXTURE_PASSWORD })
    .expect(200);
  const secret = begun.body.secret as string;
  const confirmed = await request(app.app)
    .post("/admin/me/totp/confirm")
    .set("Authorization", `Bearer ${token}`)
    .send({ code: totpCodeAt(secret, now) })
    .expect(200);
  expect(confirmed.body.recovery_codes).toHaveLength(10);
  return { secret, recoveryCodes: confirmed.body.recovery_codes };
}
