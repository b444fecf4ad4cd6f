import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";

/** Listens an app on 127.0.0.1, port 0, for clients that need a real URL (the openai SDK, curl). */
export async function listen(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
