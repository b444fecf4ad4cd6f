import type { IncomingMessage } from "node:http";
import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { clientIpReader, plainIp, trustedProxies } from "../../src/http/client-ip.js";

// TRUST_PROXY is read in one place (src/http/client-ip.ts): the gateway's reader, express's req.clientIp,
// and express's own "trust proxy" (req.ip, req.secure) must name the same client for every hop count.

const fake = (forwardedFor: string | undefined, socketAddress = "10.0.0.1") =>
  ({
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
    socket: { remoteAddress: socketAddress },
    connection: { remoteAddress: socketAddress },
  }) as unknown as IncomingMessage;

describe("the client's address", () => {
  it("is the socket's when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    expect(clientIpReader(0)(fake("203.0.113.7"))).toBe("10.0.0.1");
  });

  it("is the address the last trusted proxy saw, counted from the socket", () => {
    const chain = "198.51.100.1, 198.51.100.2, 198.51.100.3";
    expect(clientIpReader(1)(fake(chain))).toBe("198.51.100.3");
    expect(clientIpReader(2)(fake(chain))).toBe("198.51.100.2");
    expect(clientIpReader(3)(fake(chain))).toBe("198.51.100.1");
    // More hops trusted than there are: the furthest address given.
    expect(clientIpReader(5)(fake(chain))).toBe("198.51.100.1");
    expect(clientIpReader(1)(fake(undefined))).toBe("10.0.0.1");
  });

  it("is the same for express's trust proxy, given the same rule, for every hop count", async () => {
    for (const hops of [0, 1, 2]) {
      const app = express();
      app.set("trust proxy", trustedProxies(hops));
      const read = clientIpReader(hops);
      app.get("/", (req, res) => {
        res.json({ express: req.ip, reader: read(req), secure: req.secure });
      });
      const res = await request(app)
        .get("/")
        .set("X-Forwarded-For", "198.51.100.1, 198.51.100.2")
        .set("X-Forwarded-Proto", "https")
        .expect(200);
      // The reader's is the plain form of express's (a dual-stack socket's "::ffff:127.0.0.1").
      expect(res.body.reader).toBe(plainIp(res.body.express));
      expect(res.body.secure).toBe(hops > 0);
    }
  });

  it("names an IPv4 client alike whether it came over IPv4 or as an IPv4-mapped IPv6 address", () => {
    expect(plainIp("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(plainIp("192.0.2.1")).toBe("192.0.2.1");
    expect(plainIp("2001:db8::1")).toBe("2001:db8::1");
    // And so the reader names it, socket or X-Forwarded-For: logs, limits, audit and the upstream agree.
    expect(clientIpReader(0)(fake(undefined, "::ffff:192.0.2.1"))).toBe("192.0.2.1");
    expect(clientIpReader(1)(fake("::ffff:198.51.100.9"))).toBe("198.51.100.9");
    expect(clientIpReader(1)(fake(undefined, "::ffff:192.0.2.1"))).toBe("192.0.2.1");
  });
});
