import { utcDay } from "../usage/buffer.js";
import { type TopUsage, topUsageOfDay } from "../usage/usage-report.js";
import type { CliDeps, CommandResult } from "./accounts-commands.js";

/** `usage [--date=YYYY-MM-DD] [--top=N] [--json]`: the day's top keys and accounts by tokens. */
export async function printTopUsage(
  deps: CliDeps,
  options: { day: string | undefined; top: number; json: boolean },
): Promise<CommandResult> {
  const day = options.day ?? utcDay(deps.clock.now());
  const [keys, accounts] = await Promise.all([
    topUsageOfDay(deps.db, { day, by: "key", limit: options.top }),
    topUsageOfDay(deps.db, { day, by: "account", limit: options.top }),
  ]);
  if (options.json) {
    for (const row of keys) deps.out(JSON.stringify({ date: day, kind: "key", ...row }));
    for (const row of accounts) deps.out(JSON.stringify({ date: day, kind: "account", ...row }));
    return { ok: true };
  }
  deps.out(`Top keys by tokens on ${day} (UTC; as of the last usage flush)`);
  printTable(
    deps.out,
    ["KEY", "NAME", "ACCOUNT", "TOKENS", "PROMPT", "COMPLETION", "REQUESTS"],
    keys,
    (r) => [r.id, r.label, r.email],
  );
  deps.out("");
  deps.out(`Top accounts by tokens on ${day}`);
  printTable(deps.out, ["ACCOUNT", "EMAIL", "TOKENS", "PROMPT", "COMPLETION", "REQUESTS"], accounts, (r) => [
    r.id,
    r.email,
  ]);
  return { ok: true };
}

function printTable(
  out: (line: string) => void,
  header: string[],
  rows: TopUsage[],
  names: (row: TopUsage) => string[],
): void {
  if (rows.length === 0) {
    out("(no usage)");
    return;
  }
  const table = [
    header,
    ...rows.map((r) => [
      ...names(r),
      String(r.prompt_tokens + r.completion_tokens),
      String(r.prompt_tokens),
      String(r.completion_tokens),
      String(r.requests),
    ]),
  ];
  const widths = header.map((_, col) => Math.max(...table.map((row) => row[col]?.length ?? 0)));
  for (const row of table) {
    out(
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  }
}
