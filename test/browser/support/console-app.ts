import { createServer, type Server } from "node:http";
import { inject } from "vitest";
import { freePort } from "../../support/child-processes.js";
import { createTestEnv, type TestApp, type TestEnv } from "../../support/harness.js";

// keyward's web app in this process, serving the console built for this run, on a real port whose
// address is PUBLIC_URL: the browser's origin is keyward's own, as in a deployment.

export interface ConsoleApp {
  env: TestEnv;
  web: TestApp;
  origin: string;
  /** The console's address, e.g. http://127.0.0.1:1234/console/ */
  consoleUrl: string;
  close(): Promise<void>;
}

export async function startConsoleApp(overrides: Record<string, string> = {}): Promise<ConsoleApp> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = await createTestEnv({
    PUBLIC_URL: origin,
    CONSOLE_URL: "",
    CONSOLE_ORIGINS: "",
    CONSOLE_DIR: inject("consoleDir"),
    ...overrides,
  });
  const web = await env.makeApp();
  const server: Server = createServer(web.app);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    env,
    web,
    origin,
    consoleUrl: `${origin}/console/`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await env.close();
    },
  };
}
