// tsc compiles only TypeScript; the bundled password list travels beside the compiled module.
// Usage: node scripts/copy-assets.mjs [outDir]   (dist by default; the benchmark builds into dist-bench)
import { copyFileSync, mkdirSync } from "node:fs";

const outDir = process.argv[2] ?? "dist";
mkdirSync(`${outDir}/src/accounts`, { recursive: true });
copyFileSync("src/accounts/common-passwords.txt", `${outDir}/src/accounts/common-passwords.txt`);
