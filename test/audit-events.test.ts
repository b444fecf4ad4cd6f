import { createServer } from "node:http";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAuditEvent } from "../src/audit/audit.js";
import { manualClock } from "../src/time/clock.js";
import { createAccountWithSession, insertApiKey } from "./support/fixtures.js";
import { createTestEnv, type TestApp, type TestEnv } from "./support/harness.js";

let env: TestEnv;
let web: TestApp;
const clock = manualClock();
const UA = "keyward-console-test/1.0";

beforeAll(async () => {
  env = await createTestEnv();
  // One proxy hop trusted, so the client address comes from X-Forwarded-For as behind Heroku's router.
  web = await env.makeApp({ clock, config: env.configWith({ TRUST_PROXY: "1" }) });
});
afterAll(async () => {
  await env.close();
});

function as(token: string, ip = "203.0.113.7") {
  const h = (t: request.Test) =>
    t.set("Authorization", `Bearer ${token}`).set("User-Agent", UA).set("X-Forwarded-For", ip);
  return {
    get: (path: string) => h(request(web.app).get(path)),
    post: (path: string, body?: object) => h(request(web.app).post(path)).send(body),
    patch: (path: string, body?: object) => h(request(web.app).patch(path)).send(body),
  };
}

type Event = {
  id: string;
  action: string;
  key_id: string | null;
  ip: string;
  user_agent: string;
  created_at: string;
};

describe("GET /admin/audit-events", () => {
  it("records key creation, rename, rotation and revocation with ip and user agent, newest first", async () => {
    const user = await createAccountWithSession(env);
    const api = as(user.token);
    const created = await api.post("/admin/keys", { name: "a" }).expect(201);
    const keyId: string = created.body.key.id;
    const createdAt = clock.now().toISOString();
    clock.advance(1000);
    await api.patch(`/admin/keys/${keyId}`, { name: "b" }).expect(200);
    clock.advance(1000);
    const rotated = await as(user.token, "198.51.100.2")
      .post(`/admin/keys/${keyId}/rotate`, { grace_period_seconds: 0 })
      .expect(201);
    clock.advance(1000);
    await api.post(`/admin/keys/${rotated.body.key.id}/revoke`).expect(200);
    clock.advance(1000);
    // Neither a repeated revoke nor a refused change leaves an event.
    await api.post(`/admin/keys/${rotated.body.key.id}/revoke`).expect(200);
    await api.patch(`/admin/keys/${rotated.body.key.id}`, { name: "c" }).expect(409);
    await api.post("/admin/keys", { name: "" }).expect(400);

    const res = await api.get("/admin/audit-events").expect(200);
    const events: Event[] = res.body.data;
    expect(events.map((e) => [e.action, e.key_id, e.ip])).toEqual([
      ["key.revoked", rotated.body.key.id, "203.0.113.7"],
      ["key.rotated", keyId, "198.51.100.2"],
      ["key.renamed", keyId, "203.0.113.7"],
      ["key.created", keyId, "203.0.113.7"],
    ]);
    for (const e of events) {
      expect(e.user_agent).toBe(UA);
      expect(e.id).toMatch(/^evt_[0-9a-z]{26}$/);
      expect(Object.keys(e).sort()).toEqual(["action", "created_at", "id", "ip", "key_id", "user_agent"]);
    }
    expect(events[3]?.created_at).toBe(createdAt);
    expect(res.body.next_cursor).toBeNull();
    expect(JSON.stringify(res.body)).not.toContain(created.body.secret);
  });

  it("pages with limit and cursor and shows only the account's own events", async () => {
    const user = await createAccountWithSession(env);
    const other = await createAccountWithSession(env);
    const key = await insertApiKey(env, other.id);
    await as(other.token).post(`/admin/keys/${key.id}/revoke`).expect(200);
    const start = clock.now().getTime();
    for (let i = 0; i < 5; i++) {
      await recordAuditEvent(env.database.db, {
        accountId: user.id,
        action: "session.created",
        ip: `192.0.2.${i}`,
        userAgent: null,
        at: new Date(start + i * 1000),
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/admin/audit-events?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await as(user.token).get(path).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((e: Event) => e.ip));
      cursor = res.body.next_cursor;
    } while (cursor && seen.length < 20);
    expect(seen).toEqual(["192.0.2.4", "192.0.2.3", "192.0.2.2", "192.0.2.1", "192.0.2.0"]);
  });

  it("refuses a bad query and requires a session", async () => {
    const user = await createAccountWithSession(env);
    for (const [q, code, param] of [
      ["limit=0", "validation_failed", "limit"],
      ["limit=101", "validation_failed", "limit"],
      ["cursor=key_00000000000000000000000000", "invalid_cursor", "cursor"],
      ["action=key.created", "validation_failed", "action"],
    ]) {
      const res = await as(user.token).get(`/admin/audit-events?${q}`);
      expect([res.status, res.body.error.code, res.body.error.param], q).toEqual([400, code, param]);
    }
    const anonymous = await request(web.app).get("/admin/audit-events");
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, "session_required"]);
  });
});

describe("client addresses", () => {
  it("records a direct IPv4 client as a plain address, not IPv4-mapped IPv6", async () => {
    const direct = await env.makeApp({ clock });
    const user = await createAccountWithSession(env);
    const server = createServer(direct.app).listen(0, "::");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      await request(`http://127.0.0.1:${port}`)
        .post("/admin/keys")
        .set("Authorization", `Bearer ${user.token}`)
        .send({ name: "direct" })
        .expect(201);
    } finally {
      server.close();
    }
    const events = await request(web.app)
      .get("/admin/audit-events")
      .set("Authorization", `Bearer ${user.token}`)
      .expect(200);
    expect(events.body.data[0]).toMatchObject({ action: "key.created", ip: "127.0.0.1" });
  });
});
