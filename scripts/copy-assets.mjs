// tsc compiles only TypeScript; the bundled password list travels beside the compiled module.
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync("dist/src/accounts", { recursive: true });
copyFileSync("src/accounts/common-passwords.txt", "dist/src/accounts/common-passwords.txt");
