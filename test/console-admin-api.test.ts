import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/config.js";
import { registrableDomain, sessionCookieSameSite } from "../src/config/cookie-site.js";
import { createAccount, FIXTURE_PASSWORD } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

// What the admin API owes a console: its own origin passes the CSRF check, the cookie crosses sites
// when a listed console is on another site, and the emailed links open the bundled console.

let env: TestEnv;
let web: TestApp;

beforeAll(async () => {
  env = await createTestEnv({ PUBLIC_URL: "http://keyward.test:3000" });
  web = await env.makeApp();
});
afterAll(async () => {
  await env.close();
});

async function cookieFor(app: TestApp["app"], email: string, origin: string): Promise<string> {
  const login = await request(app)
    .post("/admin/sessions")
    .set("Origin", origin)
    .send({ email, password: FIXTURE_PASSWORD })
    .expect(201);
  return `keyward_session=${login.body.session.token}`;
}

describe("the admin API for consoles", () => {
  it("accepts writes from keyward's own origin (the bundled console, the docs page), not from others", async () => {
    const { email } = await createAccount(env);
    const cookie = await cookieFor(web.app, email, "http://keyward.test:3000");
    const created = await request(web.app)
      .post("/admin/keys")
      .set("Cookie", cookie)
      .set("Origin", "http://keyward.test:3000")
      .send({ name: "Development" })
      .expect(201);
    expect(created.body.secret).toMatch(/^sk-srt-/);
    const foreign = await request(web.app)
      .post("/admin/keys")
      .set("Cookie", cookie)
      .set("Origin", "http://keyward.test:3001")
      .send({ name: "Development" })
      .expect(403);
    expect(foreign.body.error.code).toBe("csrf_rejected");
  });

  it("sends SameSite=None; Secure when a listed console is cross-site to an https PUBLIC_URL", async () => {
    const crossSite = await env.makeApp({
      config: env.configWith({
        PUBLIC_URL: "https://keyward-demo.herokuapp.com",
        CONSOLE_ORIGINS: "https://console.example.com",
      }),
    });
    const { email } = await createAccount(env);
    const login = await request(crossSite.app)
      .post("/admin/sessions")
      .set("Origin", "https://console.example.com")
      .send({ email, password: FIXTURE_PASSWORD })
      .expect(201);
    const cookie = String(login.headers["set-cookie"]);
    expect(cookie).toMatch(/SameSite=None/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/HttpOnly/);

    const sameSite = await env.makeApp({
      config: env.configWith({
        PUBLIC_URL: "https://api.example.com",
        CONSOLE_ORIGINS: "https://console.example.com",
      }),
    });
    const again = await request(sameSite.app)
      .post("/admin/sessions")
      .set("Origin", "https://console.example.com")
      .send({ email, password: FIXTURE_PASSWORD })
      .expect(201);
    expect(String(again.headers["set-cookie"])).toMatch(/SameSite=Lax/);
  });

  it("decides sites by registrable domain, shared hosting suffixes included", () => {
    expect(registrableDomain("console.example.com")).toBe("example.com");
    expect(registrableDomain("a.b.example.co.uk")).toBe("example.co.uk");
    expect(registrableDomain("keyward-demo.herokuapp.com")).toBe("keyward-demo.herokuapp.com");
    expect(registrableDomain("localhost")).toBe("localhost");
    expect(sessionCookieSameSite("https://api.example.com", ["https://console.example.com"])).toBe("lax");
    expect(sessionCookieSameSite("https://a.herokuapp.com", ["https://b.herokuapp.com"])).toBe("none");
    expect(sessionCookieSameSite("https://api.example.com", ["http://console.example.com"])).toBe("none");
    // SameSite=None needs Secure, which needs https: over http the cookie stays Lax.
    expect(sessionCookieSameSite("http://localhost:3000", ["http://localhost:5173"])).toBe("lax");
    expect(sessionCookieSameSite("https://api.example.com", [])).toBe("lax");
  });

  it("links emails to the bundled console unless CONSOLE_URL says otherwise", () => {
    const bundled = parseConfig({ PUBLIC_URL: "https://keyward.example.com/" });
    expect(bundled.ok && bundled.config.consoleUrl).toBe("https://keyward.example.com/console");
    expect(bundled.ok && bundled.config.consoleOrigins).toEqual([]);
    const elsewhere = parseConfig({ CONSOLE_URL: "https://console.example.com/" });
    expect(elsewhere.ok && elsewhere.config.consoleUrl).toBe("https://console.example.com");
  });
});
