import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";

const configOf = (env: Record<string, string>) => {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(result.message);
  return result.config;
};

const failureOf = (env: Record<string, string>) => {
  const result = parseConfig(env);
  if (result.ok) throw new Error("expected the configuration to be refused");
  return result.message;
};

describe("upstream configuration", () => {
  it("keeps UPSTREAM_URL and UPSTREAM_API_KEY: one upstream serving every model", () => {
    const config = configOf({ UPSTREAM_URL: "http://10.0.0.9:8000/", UPSTREAM_API_KEY: "up-secret" });
    expect(config.upstreams).toEqual([
      {
        url: "http://10.0.0.9:8000",
        apiKey: "up-secret",
        models: undefined,
        maxConcurrency: undefined,
        anyModel: true,
      },
    ]);
  });

  it("reads UPSTREAMS as a JSON list, models and caps optional", () => {
    const config = configOf({
      UPSTREAMS: JSON.stringify([
        { url: "http://10.0.0.5:8000", models: ["vllm-primary", "vllm-primary"], max_concurrency: 64 },
        { url: "http://10.0.0.6:8000/", api_key: "k6" },
      ]),
    });
    expect(config.upstreams).toEqual([
      {
        url: "http://10.0.0.5:8000",
        apiKey: undefined,
        models: ["vllm-primary"],
        maxConcurrency: 64,
        anyModel: false,
      },
      {
        url: "http://10.0.0.6:8000",
        apiKey: "k6",
        models: undefined,
        maxConcurrency: undefined,
        anyModel: false,
      },
    ]);
  });

  it("reads UPSTREAMS_FILE in YAML or JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-upstreams-"));
    const yamlPath = join(dir, "upstreams.yaml");
    writeFileSync(
      yamlPath,
      "- url: http://a:8000\n  models: [m1]\n- url: http://b:8000\n  api_key: kb\n  max_concurrency: 8\n",
    );
    const jsonPath = join(dir, "upstreams.json");
    writeFileSync(jsonPath, JSON.stringify([{ url: "http://c:8000" }]));
    expect(
      configOf({ UPSTREAMS_FILE: yamlPath }).upstreams.map((u) => [u.url, u.models, u.maxConcurrency]),
    ).toEqual([
      ["http://a:8000", ["m1"], undefined],
      ["http://b:8000", undefined, 8],
    ]);
    expect(configOf({ UPSTREAMS_FILE: jsonPath }).upstreams[0]?.url).toBe("http://c:8000");
  });

  it.each([
    ["not JSON", "{", "invalid configuration: UPSTREAMS: must be a JSON list"],
    ["an empty list", "[]", "invalid configuration: UPSTREAMS: must be a non-empty list"],
    [
      "a bad URL",
      JSON.stringify([{ url: "http://ok:1" }, { url: "ftp://x" }]),
      "invalid configuration: UPSTREAMS: entry 2 (ftp://x): url: must be an http:// or https:// URL",
    ],
    [
      "credentials in the URL, without showing the password",
      JSON.stringify([{ url: "http://vllm:s3cret@a:1" }]),
      "invalid configuration: UPSTREAMS: entry 1 (http://a:1/): url: must not carry credentials (user:password@): give the upstream's key as api_key",
    ],
    [
      "a zero cap",
      JSON.stringify([{ url: "http://a:1", max_concurrency: 0 }]),
      "invalid configuration: UPSTREAMS: entry 1 (http://a:1): max_concurrency:",
    ],
    [
      "an unknown field",
      JSON.stringify([{ url: "http://a:1", model: "m" }]),
      "invalid configuration: UPSTREAMS: entry 1 (http://a:1):",
    ],
    [
      "an empty model list",
      JSON.stringify([{ url: "http://a:1", models: [] }]),
      "invalid configuration: UPSTREAMS: entry 1 (http://a:1): models: must list at least one model",
    ],
    [
      "the same URL twice",
      JSON.stringify([{ url: "http://a:1" }, { url: "http://a:1/" }]),
      "invalid configuration: UPSTREAMS: entry 2 (http://a:1): listed twice",
    ],
  ])("stops at %s with one line naming the entry", (_what, value, expected) => {
    const message = failureOf({ UPSTREAMS: value });
    expect(message.startsWith(expected)).toBe(true);
    expect(message).not.toContain("\n");
  });

  it("refuses credentials in UPSTREAM_URL as in an UPSTREAMS entry, never printing the password", () => {
    const single = failureOf({ UPSTREAM_URL: "http://vllm:s3cret@10.0.0.5:8000" });
    expect(single).toContain("UPSTREAM_URL: must not carry credentials");
    const listed = failureOf({ UPSTREAMS: JSON.stringify([{ url: "http://vllm:s3cret@10.0.0.5:8000" }]) });
    for (const message of [single, listed]) expect(message).not.toContain("s3cret");
  });

  it("refuses a value that is no URL with one line, a password in it unshown", () => {
    for (const value of ["10.0.0.5:8000", "http://vllm:s3cret@10.0.0.5:80000"]) {
      const single = failureOf({ UPSTREAM_URL: value });
      expect(single).toContain("UPSTREAM_URL: must be an http:// or https:// URL");
      const listed = failureOf({ UPSTREAMS: JSON.stringify([{ url: value }]) });
      expect(listed).toContain("UPSTREAMS: entry 1");
      expect(listed).toContain("url: must be an http:// or https:// URL");
      for (const message of [single, listed]) {
        expect(message).not.toContain("s3cret");
        expect(message).not.toContain("\n");
      }
    }
  });

  it("refuses an unreadable UPSTREAMS_FILE, and both settings at once", () => {
    expect(failureOf({ UPSTREAMS_FILE: "/nonexistent/upstreams.yaml" })).toBe(
      "invalid configuration: UPSTREAMS_FILE: cannot read /nonexistent/upstreams.yaml: ENOENT",
    );
    const dir = mkdtempSync(join(tmpdir(), "keyward-upstreams-"));
    const path = join(dir, "u.yaml");
    writeFileSync(path, "- url: http://a:1\n");
    expect(failureOf({ UPSTREAMS: '[{"url":"http://b:1"}]', UPSTREAMS_FILE: path })).toContain("not both");
  });

  it("reads UPSTREAM_QUEUE_TIMEOUT_MS: 5 s by default, 0 for no wait, never negative", () => {
    expect(configOf({}).upstreamQueueTimeoutMs).toBe(5_000);
    expect(configOf({ UPSTREAM_QUEUE_TIMEOUT_MS: "0" }).upstreamQueueTimeoutMs).toBe(0);
    expect(configOf({ UPSTREAM_QUEUE_TIMEOUT_MS: "250" }).upstreamQueueTimeoutMs).toBe(250);
    expect(failureOf({ UPSTREAM_QUEUE_TIMEOUT_MS: "-1" })).toMatch(
      /^invalid configuration: UPSTREAM_QUEUE_TIMEOUT_MS: /,
    );
    expect(failureOf({ UPSTREAM_QUEUE_TIMEOUT_MS: "soon" })).toMatch(
      /^invalid configuration: UPSTREAM_QUEUE_TIMEOUT_MS: /,
    );
  });

  it("keeps UPSTREAMS_FILE's path, to read it again on SIGHUP", () => {
    const dir = mkdtempSync(join(tmpdir(), "keyward-upstreams-"));
    const path = join(dir, "u.yaml");
    writeFileSync(path, "- url: http://a:1\n");
    expect(configOf({ UPSTREAMS_FILE: path }).upstreamsFile).toBe(path);
    expect(configOf({}).upstreamsFile).toBeUndefined();
  });

  it("reads V1_CORS_ORIGINS as a list of origins, empty by default", () => {
    expect(configOf({}).v1CorsOrigins).toEqual([]);
    expect(
      configOf({ V1_CORS_ORIGINS: "https://app.example.com/, http://localhost:5173" }).v1CorsOrigins,
    ).toEqual(["https://app.example.com", "http://localhost:5173"]);
  });
});
