import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface FirstLoad {
  files: { path: string; gzipBytes: number }[];
  gzipBytes: number;
}

/** What a first visit downloads: the JS and CSS index.html references, each gzipped as a server would. */
export function firstLoadSize(dir: string): FirstLoad {
  const html = readFileSync(join(dir, "index.html"), "utf8");
  const refs = [...html.matchAll(/(?:src|href)="\.\/([^"]+\.(?:js|css))"/g)].map((m) => m[1] as string);
  const files = [...new Set(refs)].map((path) => ({
    path,
    gzipBytes: gzipSync(readFileSync(join(dir, path)), { level: 9 }).length,
  }));
  return { files, gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0) };
}

export function formatFirstLoad(load: FirstLoad): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const parts = load.files.map((f) => `${f.path} ${kb(f.gzipBytes)}`).join(", ");
  return `console first load: ${kb(load.gzipBytes)} of JS and CSS gzipped (limit 100 KB): ${parts}`;
}
