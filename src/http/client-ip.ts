import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/**
 * Which proxies in front are trusted (TRUST_PROXY): the nearest `trustProxyHops`, whatever their
 * address. Express is given this very rule as its "trust proxy", so its req.protocol and req.secure
 * agree with the client address read below.
 */
export function trustedProxies(trustProxyHops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < trustProxyHops;
}

/**
 * The client's address, past the trusted proxies, in its plain form (see plainIp): what both front
 * doors (express's req.clientIp and the gateway) call the client, for logs, audit events, rate limits
 * and X-Forwarded-For upstream.
 */
export function clientIpReader(trustProxyHops: number): (req: IncomingMessage) => string | undefined {
  const socketIp = (req: IncomingMessage) => {
    const ip = req.socket?.remoteAddress;
    return ip === undefined ? undefined : plainIp(ip);
  };
  // Trusting no proxy, the address is the socket's: no X-Forwarded-For to parse.
  if (trustProxyHops === 0) return socketIp;
  const trust = trustedProxies(trustProxyHops);
  return (req) => {
    try {
      return plainIp(proxyaddr(req, trust));
    } catch {
      return socketIp(req);
    }
  };
}

/**
 * A dual-stack socket reports IPv4 clients as "::ffff:1.2.3.4"; audit logs and limits use "1.2.3.4",
 * so one client is one key whichever way it arrived.
 */
export function plainIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}
