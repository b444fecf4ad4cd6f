import { type AddressInfo, createServer, Socket } from "node:net";

// A local TCP forwarder a test can break in the ways a network breaks, to take Redis or PostgreSQL
// away from ONE app instance or worker while the shared servers keep serving every other test.

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones (the port is closed). */
  close(): Promise<void>;
  /** Drops every open connection and resets new ones, keeping the port, until restore(). */
  cut(): void;
  restore(): void;
  /**
   * A black hole: connections stay open but nothing passes either way (what a dead host or a
   * partition looks like), until resume(), which delivers what was held, in order.
   */
  stall(): void;
  resume(): void;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let up = true;
  let stalled = false;
  const held: Array<() => void> = [];
  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  // Forwards chunk by chunk (not pipe) so that a stall can hold chunks back without losing any.
  const forward = (from: Socket, to: Socket) => {
    from.on("data", (chunk) => {
      if (stalled) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
  };
  const server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.connect(target.port, target.host, () => {
      forward(client, upstream);
      forward(upstream, client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port,
    cut() {
      up = false;
      dropAll();
    },
    restore() {
      up = true;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const deliver of held.splice(0)) deliver();
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        dropAll();
      });
      return closed;
    },
  };
}
