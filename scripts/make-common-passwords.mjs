// Regenerates src/accounts/common-passwords.txt, the bundled list of common passwords (most common
// first), from the @zxcvbn-ts/language-common dictionary: `node scripts/make-common-passwords.mjs`.
import { writeFileSync } from "node:fs";

const { default: passwords } = await import("@zxcvbn-ts/language-common/dist/passwords.json.mjs");
writeFileSync("src/accounts/common-passwords.txt", `${passwords.join("\n")}\n`);
console.log(`${passwords.length} passwords written`);
