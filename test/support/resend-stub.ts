import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A local stand-in for Resend's POST /emails: records what it receives and honours Idempotency-Key as
// Resend does (the same key answers with the same id and sends nothing new). It can be told to fail
// the next N requests with a 500, to exercise the worker's retries.

export interface RecordedRequest {
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  body: { from?: string; to?: string | string[]; subject?: string; text?: string; html?: string };
  status: number;
}

export interface DeliveredEmail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  idempotencyKey: string | undefined;
}

export interface ResendStub {
  url: string;
  /** Every request received, failed ones included. */
  requests: RecordedRequest[];
  /** Emails actually "sent": one per idempotency key. */
  delivered: DeliveredEmail[];
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

export async function startResendStub(): Promise<ResendStub> {
  const requests: RecordedRequest[] = [];
  const delivered: DeliveredEmail[] = [];
  const byKey = new Map<string, string>();
  let failures: { remaining: number; status: number } = { remaining: 0, status: 500 };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/emails") {
        reply(404, { statusCode: 404, name: "not_found", message: "not found" });
        return;
      }
      let body: RecordedRequest["body"] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        reply(422, { statusCode: 422, name: "validation_error", message: "invalid JSON" });
        return;
      }
      const idempotencyKey = req.headers["idempotency-key"] as string | undefined;
      const record = (status: number) =>
        requests.push({ idempotencyKey, authorization: req.headers.authorization, body, status });
      if (failures.remaining > 0) {
        failures.remaining--;
        record(failures.status);
        reply(failures.status, {
          statusCode: failures.status,
          name: "internal_server_error",
          message: "stub failure",
        });
        return;
      }
      record(200);
      const known = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
      if (known) {
        reply(200, { id: known });
        return;
      }
      const id = randomUUID();
      if (idempotencyKey) byKey.set(idempotencyKey, id);
      delivered.push({
        id,
        to: Array.isArray(body.to) ? (body.to[0] ?? "") : (body.to ?? ""),
        subject: body.subject ?? "",
        text: body.text ?? "",
        html: body.html ?? "",
        idempotencyKey,
      });
      reply(200, { id });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    delivered,
    failNext(count, status = 500) {
      failures = { remaining: count, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The token in the first console link of an email's text. */
export function tokenFromEmail(email: { text: string }, page: "verify-email" | "reset-password"): string {
  const match = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`).exec(email.text);
  if (!match?.[1]) throw new Error(`no ${page} link in email: ${email.text}`);
  return match[1];
}

/**
 * A Resend stand-in that can hold requests unanswered, so that a job is provably "in hand" when a
 * signal reaches its worker.
 */
export interface HeldResend {
  url: string;
  /** POST /emails bodies received, in order. */
  received: { to?: string; subject?: string; text?: string }[];
  /** While held, requests wait unanswered; release() answers them all and later ones at once. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startHeldResend(): Promise<HeldResend> {
  const received: HeldResend["received"] = [];
  let held = false;
  const waiting: (() => void)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: `held-${received.length}` }));
      };
      if (held) waiting.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const answer of waiting.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
