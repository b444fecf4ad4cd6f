#!/usr/bin/env bash
# Where keyward's CPU per /v1 request goes, by taking parts out: builds the committed HEAD in a
# throwaway worktree, whose benchmark server (bench/keyward-server.ts) honours ABL_NOREDIS: no Redis
# round trip, markers and windows answered from memory; ABL_NOMETRICS: no /v1 metrics; ABL_NOAUTH: no
# key check, limit or use record at all (src/gateway/ablation.ts); then runs bench/quick.ts on the bare proxy, keyward as built
# and keyward with parts taken out, each run of a target right after a bare-proxy run of its own,
# REPS times each, and prints the medians and the median paired ratios.
# A measuring tool for the note in BENCHMARKS.md, not a configuration: only the benchmark's server
# reads these variables.
# Usage: bench/ablate.sh [/v1/models,/v1/chat/completions] [seconds per run, 4]
set -euo pipefail
root=$(git rev-parse --show-toplevel)
dir=$(mktemp -d /tmp/keyward-ablate.XXXXXX)
git -C "$root" worktree add -q --detach "$dir" HEAD
trap 'git -C "$root" worktree remove --force "$dir"' EXIT
ln -s "$root/node_modules" "$dir/node_modules"
cd "$dir"
npx tsc -p tsconfig.bench.json
node scripts/copy-assets.mjs dist-bench >/dev/null
out="$dir/ablation.md"
TARGETS=${TARGETS:-bare,keyward,keyward-noredis,keyward-noredis-nometrics-nolog,keyward-noredis-nometrics-nolog-noauth} \
  REPS=${REPS:-5} PAIRED=1 ABLATION_OUT="$out" node dist-bench/bench/quick.js "${1:-/v1/models,/v1/chat/completions}" "${2:-4}"
# Into BENCHMARKS.md, after its marker line (npm run bench keeps what follows the marker).
node -e '
const fs = require("node:fs");
const [file, added] = process.argv.slice(1);
const marker = "<!-- bench/ablate.sh writes below this line; npm run bench keeps it -->";
const notesMarker = "<!-- hand-written below this line; npm run bench and bench/ablate.sh keep it -->";
let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
const notesAt = text.indexOf(notesMarker);
const notes = notesAt >= 0 ? `\n${text.slice(notesAt)}` : "";
const at = text.indexOf(marker);
if (at >= 0) text = text.slice(0, at);
else if (text !== "" && !text.endsWith("\n\n")) text += "\n";
fs.writeFileSync(file, `${text}${marker}\n\n${fs.readFileSync(added, "utf8")}${notes}`);
' "$root/BENCHMARKS.md" "$out"
echo "written to BENCHMARKS.md"
