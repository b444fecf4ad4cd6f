import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envSchema, parseConfig } from "../../src/config/config.js";

// The deployment files and the README's table are checked against the configuration schema, so a
// variable added to config.ts without documentation fails here.

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const variables = Object.keys(envSchema.shape);
// Set by Heroku itself (the router, and the two add-ons): app.json must not declare them.
const PLATFORM_SET = ["PORT", "DATABASE_URL", "REDIS_URL"];

interface AppJson {
  env: Record<string, { description?: string; value?: string; required?: boolean; generator?: string }>;
  addons: { plan: string }[];
  formation: Record<string, { quantity: number }>;
  buildpacks: { url: string }[];
}
const appJson = JSON.parse(read("app.json")) as AppJson;

// Defaults computed from another variable, as the README states them.
const DERIVED_DEFAULTS: Record<string, string> = {
  CONSOLE_URL: "`PUBLIC_URL` + `/console`",
  PUBLIC_URL: "`http://localhost:` + `PORT`",
};

function defaultOf(name: string): string | undefined {
  const field = envSchema.shape[name as keyof typeof envSchema.shape];
  const parsed = field.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  return Array.isArray(parsed.data) ? parsed.data.join(",") : String(parsed.data);
}

describe("app.json (Heroku Button)", () => {
  it("describes every configuration variable but those Heroku sets itself", () => {
    const declared = Object.keys(appJson.env).sort();
    expect(declared).toEqual(variables.filter((v) => !PLATFORM_SET.includes(v)).sort());
    for (const [name, spec] of Object.entries(appJson.env)) {
      expect(spec.description, name).toMatch(/\S{3,}/);
    }
  });

  it("generates METRICS_TOKEN as a secret and asks for the addresses only the deployer knows", () => {
    expect(appJson.env.METRICS_TOKEN).toMatchObject({ generator: "secret" });
    for (const name of ["PUBLIC_URL", "UPSTREAM_URL"]) {
      expect(appJson.env[name], name).toMatchObject({ required: true });
      expect(appJson.env[name]?.value, name).toBeUndefined();
    }
    expect(appJson.env.TRUST_PROXY?.value).toBe("1");
  });

  it("holds values the configuration accepts, with the add-ons' URLs and a generated token", () => {
    const env: Record<string, string> = {
      PORT: "12345",
      DATABASE_URL: "postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1",
      REDIS_URL: "rediss://:p@ec2-5-6-7-8.compute-1.amazonaws.com:25070",
      PUBLIC_URL: "https://keyward-demo.herokuapp.com",
      UPSTREAM_URL: "https://llm.example.com",
      METRICS_TOKEN: "a".repeat(64),
    };
    for (const [name, spec] of Object.entries(appJson.env))
      if (spec.value !== undefined) env[name] = spec.value;
    const parsed = parseConfig(env);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.config).toMatchObject({
      trustProxyHops: 1,
      nodeEnv: "production",
      redisTlsRejectUnauthorized: false,
    });
  });

  it("provisions PostgreSQL and Redis, one web and one worker, on the Node.js buildpack", () => {
    const plans = appJson.addons.map((a) => a.plan.split(":")[0]);
    expect(plans.sort()).toEqual(["heroku-postgresql", "heroku-redis"]);
    expect(appJson.formation.web?.quantity).toBe(1);
    expect(appJson.formation.worker?.quantity).toBe(1);
    expect(appJson.buildpacks.map((b) => b.url)).toEqual(["heroku/nodejs"]);
  });
});

describe("Procfile and npm scripts", () => {
  it("runs migrations on release and the built web and worker with node, as the npm scripts do", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    const procfile = Object.fromEntries(
      read("Procfile")
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
    );
    // Node itself, not npm: a host that signals only the process it started (a container runtime,
    // say) must reach the process that shuts down gracefully; npm exits and leaves it running.
    expect(procfile).toEqual({
      release: scripts["migrate:built"],
      web: scripts.start,
      worker: scripts.worker,
    });
    expect(scripts["migrate:built"]).toBe("node dist/src/db/migrate-main.js");
    expect(scripts.start).toBe("node dist/src/api/main.js");
    expect(scripts.worker).toBe("node dist/src/worker/main.js");
    expect(scripts["heroku-postbuild"]).toBe("npm run build");
    for (const name of ["dev", "build", "migrate", "test", "bench", "keyward"])
      expect(scripts[name], name).toBeDefined();
  });
});

describe("README", () => {
  const readme = read("README.md");

  it("has a table row for every configuration variable, with its default", () => {
    for (const name of variables) {
      const row = readme.split("\n").find((line) => new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`).test(line));
      expect(row, name).toBeDefined();
      const cell = row?.split("|")[2]?.trim();
      const fallback = defaultOf(name);
      const expected = DERIVED_DEFAULTS[name] ?? (fallback ? `\`${fallback}\`` : "(none)");
      expect(cell, name).toBe(expected);
    }
  });

  it("starts in two commands and links the API docs and the benchmarks", () => {
    const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("### Your first key"));
    expect(quickStart).toMatch(
      /```sh\nnpm install && npm run dev +# [^\n]*\nnpm test +# in another terminal\n```/,
    );
    for (const link of ["/admin/docs", "/admin/openapi.json", "BENCHMARKS.md"])
      expect(readme).toContain(link);
  });
});
