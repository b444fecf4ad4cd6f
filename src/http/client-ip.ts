import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/**
 * The client's address, trusting `trustProxyHops` proxies in front (TRUST_PROXY): the same rule as
 * express's `app.set("trust proxy", hops)`, so both front doors name a client alike.
 */
export function clientIpReader(trustProxyHops: number): (req: IncomingMessage) => string | undefined {
  // Trusting no proxy, the address is the socket's: no X-Forwarded-For to parse.
  if (trustProxyHops === 0) return (req) => req.socket?.remoteAddress;
  const trust = (_address: string, hop: number) => hop < trustProxyHops;
  return (req) => {
    try {
      return proxyaddr(req, trust);
    } catch {
      return req.socket?.remoteAddress;
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
