import request from "supertest";
import type { TestApp } from "./harness.js";

/** Admin API requests on `app`, signed in with a session's token (a POST without a body sends `{}`). */
export function asSession(app: TestApp, token: string) {
  const auth = (t: request.Test) => t.set("Authorization", `Bearer ${token}`);
  return {
    get: (path: string) => auth(request(app.app).get(path)),
    post: (path: string, body: object = {}) => auth(request(app.app).post(path)).send(body),
    patch: (path: string, body: object) => auth(request(app.app).patch(path)).send(body),
    delete: (path: string) => auth(request(app.app).delete(path)),
  };
}
