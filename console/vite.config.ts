import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig, type Plugin } from "vite";
import { firstLoadSize, formatFirstLoad } from "./bundle-size.js";

const root = fileURLToPath(new URL(".", import.meta.url));
const outDir = fileURLToPath(new URL("../dist/console", import.meta.url));

// The server refuses the passwords in its bundled list; the console checks the same list as the person
// types. Only entries long enough to pass the length rule can be a whole password, which keeps the
// bundle small; shorter ones matter only inside a predictable password, which the console leaves to
// the server (components/password-field.tsx).
function commonPasswords(): Plugin {
  const id = "virtual:common-passwords";
  return {
    name: "keyward-common-passwords",
    resolveId: (source) => (source === id ? `\0${id}` : null),
    load(loaded) {
      if (loaded !== `\0${id}`) return null;
      const text = readFileSync(new URL("../src/accounts/common-passwords.txt", import.meta.url), "utf8");
      const long = text
        .split(/\r?\n/)
        .map((line) => line.trim().toLowerCase())
        .filter((line) => [...line].length >= 12);
      return `export default new Set(${JSON.stringify(long)});`;
    },
  };
}

// Prints what a first visit downloads (the entry's JS and CSS, gzipped) after every build.
function printFirstLoad(): Plugin {
  let dir = outDir;
  return {
    name: "keyward-first-load",
    apply: "build",
    configResolved(config) {
      dir = config.build.outDir;
    },
    closeBundle() {
      console.log(formatFirstLoad(firstLoadSize(dir)));
    },
  };
}

export default defineConfig({
  root,
  // Relative asset URLs: the console works wherever it is mounted (/console/, or /prefix/console/).
  base: "./",
  plugins: [preact(), commonPasswords(), printFirstLoad()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    // No inline script or style anywhere (the CSP forbids them), and no source of the app served twice.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
