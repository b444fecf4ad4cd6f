import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, TLSSocket } from "node:tls";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase } from "../src/db/client.js";
import { connectRedis } from "../src/redis/client.js";
import { PG_BASE, REDIS_URL } from "./support/db-names.js";

// The Heroku TLS settings against real TLS: PostgreSQL and Redis behind local TLS terminators that
// present a self-signed certificate, as Heroku Postgres and Heroku Redis do.

let dir: string;
let cert: { key: Buffer; cert: Buffer };
const servers: Server[] = [];
const sockets = new Set<Socket>();
let redisTlsPort = 0;
let pgTlsPort = 0;
let pgTlsHandshakes = 0;
const pg = new URL(PG_BASE);
const redis = new URL(REDIS_URL);

function track(socket: Socket): Socket {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => socket.destroy());
  return socket;
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kw-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=self-signed.test",
    ],
    { stdio: "ignore" },
  );
  cert = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };

  // Redis over TLS: terminate TLS, pass the bytes to the local Redis.
  redisTlsPort = await listen(
    createTlsServer(cert, (client) => {
      const upstream = track(connect(Number(redis.port || 6379), redis.hostname));
      track(client).pipe(upstream).pipe(client);
    }),
  );

  // PostgreSQL negotiates TLS inside its own protocol: an SSLRequest (8 bytes), a one-byte "S", then
  // the handshake on the same connection.
  pgTlsPort = await listen(
    createServer((raw) => {
      track(raw).once("data", (first: Buffer) => {
        const upstream = track(connect(Number(pg.port || 5432), pg.hostname));
        const isSslRequest = first.length === 8 && first.readInt32BE(4) === 80877103;
        if (!isSslRequest) {
          upstream.write(first);
          raw.pipe(upstream).pipe(raw);
          return;
        }
        raw.write("S");
        const tls = new TLSSocket(raw, { isServer: true, ...cert });
        tls.on("secure", () => pgTlsHandshakes++);
        tls.on("error", () => raw.destroy());
        tls.pipe(upstream).pipe(tls);
      });
    }),
  );
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe("rediss:// with a self-signed certificate", () => {
  const url = () => `rediss://127.0.0.1:${redisTlsPort}`;

  it("is accepted by default, for request-path commands and for BullMQ", async () => {
    const commands = connectRedis({ redisUrl: url(), redisTlsRejectUnauthorized: false }, "commands");
    const bull = connectRedis({ redisUrl: url(), redisTlsRejectUnauthorized: false }, "bullmq");
    const queue = new Queue("tls-check", { connection: bull, prefix: `kwtest-tls-${process.pid}` });
    try {
      expect(await commands.ping()).toBe("PONG");
      await queue.add("probe", { n: 1 });
      expect((await queue.getJobCounts("waiting")).waiting).toBe(1);
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
      await Promise.allSettled([commands.quit(), bull.quit()]);
    }
  });

  it("is refused when REDIS_TLS_REJECT_UNAUTHORIZED=true", async () => {
    const strict = connectRedis({ redisUrl: url(), redisTlsRejectUnauthorized: true }, "commands");
    const errors: string[] = [];
    strict.on("error", (err: Error) => errors.push(err.message));
    try {
      await expect(strict.ping()).rejects.toThrow();
      expect(errors.join("\n")).toMatch(/self[- ]signed certificate/i);
    } finally {
      strict.disconnect();
    }
  });
});

describe("PostgreSQL TLS with a self-signed certificate", () => {
  const url = (query: string) =>
    `postgres://${pg.username}${pg.password ? `:${pg.password}` : ""}@127.0.0.1:${pgTlsPort}/postgres${query}`;

  it("connects over TLS without verification when the URL asks for TLS (as Heroku's does)", async () => {
    const before = pgTlsHandshakes;
    const database = connectDatabase({
      databaseUrl: url("?sslmode=require"),
      databaseSsl: "auto",
      databasePoolMax: 1,
    });
    try {
      const [row] = await database.sql<{ one: number }[]>`select 1 as one`;
      expect(row).toEqual({ one: 1 });
      expect(pgTlsHandshakes).toBe(before + 1);
    } finally {
      await database.close();
    }
  });

  it("connects over TLS with DATABASE_SSL=no-verify, and refuses the certificate with DATABASE_SSL=verify", async () => {
    const lenient = connectDatabase({ databaseUrl: url(""), databaseSsl: "no-verify", databasePoolMax: 1 });
    const strict = connectDatabase({ databaseUrl: url(""), databaseSsl: "verify", databasePoolMax: 1 });
    try {
      expect(await lenient.sql`select 1 as one`).toEqual([{ one: 1 }]);
      await expect(strict.sql`select 1 as one`).rejects.toThrow(/certificate/i);
    } finally {
      await Promise.allSettled([lenient.close(), strict.close()]);
    }
  });

  it("talks plain PostgreSQL to a local server when nothing asks for TLS", async () => {
    const before = pgTlsHandshakes;
    const database = connectDatabase({ databaseUrl: url(""), databaseSsl: "auto", databasePoolMax: 1 });
    try {
      expect(await database.sql`select 1 as one`).toEqual([{ one: 1 }]);
      expect(pgTlsHandshakes).toBe(before);
    } finally {
      await database.close();
    }
  });
});
