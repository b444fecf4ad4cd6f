import { TIERS, type Tier } from "../tiers/tiers.js";
import { EARLIEST_USAGE_DAY, usageDay } from "../usage/usage-schemas.js";
import {
  type CliDeps,
  type CommandResult,
  createAccount,
  disableAccount,
  enableAccount,
  listAccounts,
  setTier,
} from "./accounts-commands.js";
import { printTopUsage } from "./usage-command.js";

export const USAGE = `Usage: npm run keyward -- <command>

Commands:
  accounts list [--json]                    every account: tier, status, active keys
  accounts create <email> [--password-stdin]
                                            an already-verified account; without --password-stdin a
                                            password is generated and printed once
  accounts set-tier <email> <free|pro|enterprise>
                                            new rate limits apply to its keys at once
  accounts disable <email>                  its keys get 401 at once and its sessions end
  accounts enable <email>                   undoes a disable (keys work again; users log in anew)
  usage [--date=YYYY-MM-DD] [--top=N] [--json]
                                            the keys and accounts that spent the most tokens on a
                                            UTC day (default today, top 10), as of the last flush

Options:
  -h, --help                                this text

Configuration comes from the environment, as for the web process (DATABASE_URL, REDIS_URL, ...).
Exit codes: 0 done, 1 refused or failed (the reason is on stderr), 2 usage error.`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** All of standard input, for --password-stdin. */
  readStdin: () => Promise<string>;
}

/** Deps are made only once the command line is known to be valid, so --help needs no database. */
export type ConnectDeps = () => Promise<{ deps: Omit<CliDeps, "out">; close: () => Promise<void> }>;

type Command = (deps: CliDeps) => Promise<CommandResult>;

/** Parses argv (after the script name) and runs the command; resolves to the process exit code. */
export async function runCli(argv: string[], io: CliIo, connect: ConnectDeps): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
    io.out(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const parsed = await parse(argv, io);
  if (typeof parsed === "string") {
    io.err(`keyward: ${parsed}`);
    io.err("Run `npm run keyward -- --help` for usage.");
    return 2;
  }
  const { deps, close } = await connect();
  try {
    const result = await parsed({ ...deps, out: io.out });
    if (!result.ok) {
      io.err(`keyward: ${result.message}`);
      return 1;
    }
    return 0;
  } finally {
    await close();
  }
}

/** The command to run, or what is wrong with the command line. */
async function parse(argv: string[], io: CliIo): Promise<Command | string> {
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const args = argv.filter((a) => !a.startsWith("--"));
  const [group, action, ...rest] = args;
  if (group === "usage" && args.length === 1) return parseUsage(argv.slice(1));
  if (group === "usage") {
    return `usage takes no arguments, only options written as --name=value: ${args.slice(1).join(" ")}`;
  }
  if (group !== "accounts") return `unknown command: ${args.join(" ") || argv.join(" ")}`;
  const allowed: Record<string, { args: number; flags: string[] }> = {
    list: { args: 0, flags: ["--json"] },
    create: { args: 1, flags: ["--password-stdin"] },
    "set-tier": { args: 2, flags: [] },
    disable: { args: 1, flags: [] },
    enable: { args: 1, flags: [] },
  };
  const spec = action ? allowed[action] : undefined;
  if (!action || !spec) return `unknown command: accounts ${action ?? ""}`.trimEnd();
  if (rest.length !== spec.args) return `accounts ${action} takes ${spec.args} argument(s)`;
  const unknownFlag = [...flags].find((f) => !spec.flags.includes(f));
  if (unknownFlag) return `unknown option for accounts ${action}: ${unknownFlag}`;
  const [first = "", second = ""] = rest;

  switch (action) {
    case "list":
      return (deps) => listAccounts(deps, { json: flags.has("--json") });
    case "set-tier":
      if (!TIERS.includes(second as Tier)) return `tier must be one of ${TIERS.join(", ")}`;
      return (deps) => setTier(deps, first, second as Tier);
    case "disable":
      return (deps) => disableAccount(deps, first);
    case "enable":
      return (deps) => enableAccount(deps, first);
    default: {
      // create
      let password: string | undefined;
      if (flags.has("--password-stdin")) {
        // One line, as `echo pw | ...` or a password manager's pipe gives it; the newline is not part of it.
        password = (await io.readStdin()).replace(/\r?\n$/, "");
        if (!password) return "--password-stdin: standard input was empty";
      }
      return (deps) => createAccount(deps, first, { password });
    }
  }
}

function parseUsage(options: string[]): Command | string {
  let day: string | undefined;
  let top = 10;
  let json = false;
  for (const option of options) {
    const [name, value] = option.split("=", 2);
    if (name === "--json" && value === undefined) json = true;
    else if (name === "--date" && value !== undefined && usageDay.safeParse(value).success) day = value;
    else if (name === "--top" && value !== undefined && /^[1-9]\d{0,3}$/.test(value)) top = Number(value);
    else
      return `unknown or invalid option for usage: ${option} (--date=YYYY-MM-DD from ${EARLIEST_USAGE_DAY} on, --top=1..9999, --json)`;
  }
  return (deps) => printTopUsage(deps, { day, top, json });
}
