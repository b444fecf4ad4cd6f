import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

// The upstreams behind /v1, from `UPSTREAMS` (a JSON list) or `UPSTREAMS_FILE` (the same list in a
// JSON or YAML file), else the single `UPSTREAM_URL`. A bad entry must stop the process at start with
// one line that names it, so each entry is checked on its own and the message says which one failed.

export interface UpstreamSpec {
  /** Base URL without a trailing slash, e.g. "http://10.0.0.5:8000". */
  url: string;
  apiKey: string | undefined;
  /** The model ids it serves; undefined: learned from its GET /v1/models. */
  models: string[] | undefined;
  /** In-flight requests allowed at once; undefined: no cap. */
  maxConcurrency: number | undefined;
  /**
   * The single UPSTREAM_URL of old: it serves every model, so a model nobody lists goes there (and its
   * own 404 comes back), exactly as before several upstreams existed.
   */
  anyModel: boolean;
}

/**
 * An upstream's base URL. Credentials in it (http://user:pass@host) would be dropped without a word
 * when the connection pool is made from its origin, and then every call fails with the upstream's 401:
 * refused here instead, pointing at the field that sends a key.
 */
export const upstreamUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .refine((u) => {
    // A value that is no URL at all has failed the check above already (zod runs this one too).
    if (!URL.canParse(u)) return true;
    const parsed = new URL(u);
    return parsed.username === "" && parsed.password === "";
  }, "must not carry credentials (user:password@): give the upstream's key as api_key (UPSTREAM_API_KEY for UPSTREAM_URL)");

/** The URL as an error line may show it: never a password that was written into it. */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.href;
  } catch {
    // Not a URL: whatever stands between "//" and "@" could still be a password.
    return url.replace(/\/\/[^/@]*@/, "//");
  }
}

const entrySchema = z.strictObject({
  url: upstreamUrl,
  api_key: z.string().min(1).optional(),
  models: z
    .array(z.string().min(1, "model ids must not be empty"))
    .min(1, "must list at least one model, or be left out to learn them")
    .optional(),
  max_concurrency: z.number().int().positive().optional(),
});

export type UpstreamListResult = { ok: true; upstreams: UpstreamSpec[] } | { ok: false; message: string };

/** Validates an already-parsed list; the failure names the entry (1-based) and its field. */
export function toUpstreamSpecs(value: unknown): UpstreamListResult {
  if (!Array.isArray(value) || value.length === 0) {
    return { ok: false, message: "must be a non-empty list of {url, api_key?, models?, max_concurrency?}" };
  }
  const upstreams: UpstreamSpec[] = [];
  for (const [index, raw] of value.entries()) {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      const url = (raw as { url?: unknown } | null)?.url;
      const named = typeof url === "string" ? ` (${shownUrl(url)})` : "";
      return { ok: false, message: `entry ${index + 1}${named}: ${field}${issue?.message ?? "invalid"}` };
    }
    const e = parsed.data;
    upstreams.push({
      url: e.url.replace(/\/+$/, ""),
      apiKey: e.api_key,
      models: e.models ? [...new Set(e.models)] : undefined,
      maxConcurrency: e.max_concurrency,
      anyModel: false,
    });
  }
  const seen = new Set<string>();
  for (const [index, u] of upstreams.entries()) {
    if (seen.has(u.url)) return { ok: false, message: `entry ${index + 1} (${u.url}): listed twice` };
    seen.add(u.url);
  }
  return { ok: true, upstreams };
}

/** `UPSTREAMS`: JSON text. */
export function parseUpstreamsJson(text: string): UpstreamListResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "must be a JSON list" };
  }
  return toUpstreamSpecs(value);
}

/** `UPSTREAMS_FILE`: a path to JSON or YAML (YAML 1.2 reads JSON as well, so one parser does both). */
export function readUpstreamsFile(
  path: string,
  read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): UpstreamListResult {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    return { ok: false, message: `cannot read ${path}: ${(err as { code?: string }).code ?? "error"}` };
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    const first = String((err as Error).message).split("\n")[0];
    return { ok: false, message: `${path} is neither JSON nor YAML: ${first}` };
  }
  return toUpstreamSpecs(value);
}

/** A zod string that parses into the upstream list, its one issue naming the bad entry. */
export function upstreamListSetting(parse: (text: string) => UpstreamListResult) {
  return z.string().transform((text, ctx): UpstreamSpec[] => {
    const result = parse(text);
    if (result.ok) return result.upstreams;
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  });
}

/** `UPSTREAMS_FILE`: the list read from the file, and the path, to read it again on SIGHUP. */
export const upstreamsFileSetting = z
  .string()
  .transform((path, ctx): { path: string; upstreams: UpstreamSpec[] } => {
    const result = readUpstreamsFile(path);
    if (result.ok) return { path, upstreams: result.upstreams };
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  });

/** The upstreams in force: the list when one is given, else the single UPSTREAM_URL serving every model. */
export function chooseUpstreams(e: {
  UPSTREAMS?: UpstreamSpec[] | undefined;
  UPSTREAMS_FILE?: UpstreamSpec[] | undefined;
  UPSTREAM_URL: string;
  UPSTREAM_API_KEY?: string | undefined;
}): UpstreamSpec[] {
  const list = e.UPSTREAMS ?? e.UPSTREAMS_FILE;
  if (list) return list;
  return [
    {
      url: e.UPSTREAM_URL.replace(/\/+$/, ""),
      apiKey: e.UPSTREAM_API_KEY,
      models: undefined,
      maxConcurrency: undefined,
      anyModel: true,
    },
  ];
}
