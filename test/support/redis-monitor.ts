import { connect } from "node:net";

// Redis's MONITOR on a socket of its own, read line by line: every command the server runs, as it
// runs it (ioredis's own monitor() loses its place when output arrives with MONITOR's own answer).

export interface RedisMonitor {
  /**
   * The commands seen since MONITOR was answered that name `prefix` in an argument (Redis is shared by
   * the files running at once), as their arguments, the command's name first.
   */
  commands: string[][];
  close(): void;
}

/** Resolves once Redis has answered MONITOR: every command run after that is seen. */
export function monitorRedis(redisUrl: string, prefix: string): Promise<RedisMonitor> {
  const url = new URL(redisUrl);
  const socket = connect(Number(url.port || 6379), url.hostname.replace(/^\[|\]$/g, ""));
  const commands: string[][] = [];
  let pending = "";
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => socket.write("MONITOR\r\n"));
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\r\n");
      pending = lines.pop() ?? "";
      // `+OK` first, then `+1796229617.538643 [0 127.0.0.1:40138] "evalsha" "332…" "2" …` per command.
      for (const line of lines) {
        if (line === "+OK") resolve({ commands, close: () => socket.destroy() });
        else if (line.startsWith("-")) reject(new Error(`Redis refused MONITOR: ${line.slice(1)}`));
        else if (line.startsWith("+") && line.includes(`"${prefix}:`)) {
          const quoted = line.matchAll(/"((?:[^"\\]|\\.)*)"/g);
          commands.push([...quoted].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1")));
        }
      }
    });
  });
}
