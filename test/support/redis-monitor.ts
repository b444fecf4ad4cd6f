import { connect } from "node:net";

// Redis's MONITOR on a socket of its own, read line by line: every command the server runs, as it
// runs it (ioredis's own monitor() loses its place when output arrives with MONITOR's own answer).

export interface RedisMonitor {
  /** Every command seen since MONITOR was answered, as its arguments (the command's name first). */
  commands: string[][];
  close(): void;
}

/** Resolves once Redis has answered MONITOR: every command run after that is seen. */
export function monitorRedis(redisUrl: string): Promise<RedisMonitor> {
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
        else if (line.startsWith("+")) {
          const quoted = line.matchAll(/"((?:[^"\\]|\\.)*)"/g);
          commands.push([...quoted].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1")));
        }
      }
    });
  });
}
