import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cyclesOf, importGraph } from "../support/import-graph.js";

// Which way dependencies point, read from the sources: src/api wires HTTP, src/worker wires jobs, src/cli
// wires the command line; every other folder of src/ is a capability, and a capability never reaches
// up into a wiring folder (it takes what it needs as a narrow deps type instead).

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const WIRING = new Set(["api", "worker", "cli"]);
const graph = importGraph(SRC);
const folderOf = (file: string) => (file.includes("/") ? (file.split("/")[0] as string) : ".");

// Nothing is known to break the rules today. Were an exception ever listed here, the test would fail
// once it is gone too, so that its line goes with it.
const KNOWN_UPWARD_IMPORTS: string[] = [];
const KNOWN_FOLDER_CYCLES: string[] = [];
const KNOWN_FILE_CYCLES: string[][] = [];

describe("the import graph of src/", () => {
  it("finds every file and resolves every relative import to a file that exists", () => {
    expect(graph.size).toBeGreaterThan(50);
    const unresolved = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => !graph.has(t)).map((t) => `${file} -> ${t}`),
    );
    expect(unresolved).toEqual([]);
  });

  it("has no file under a capability folder importing src/api or src/worker", () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      WIRING.has(folderOf(file))
        ? []
        : targets
            .filter((t) => folderOf(t) === "api" || folderOf(t) === "worker")
            .map((t) => `${file} -> ${t}`),
    );
    expect(upward.sort()).toEqual(KNOWN_UPWARD_IMPORTS);
  });

  it("has no cycle between files", () => {
    expect(cyclesOf(graph)).toEqual(KNOWN_FILE_CYCLES);
  });

  it("has no cycle between folders (accounts and sessions, email and worker …)", () => {
    const folders = new Map<string, string[]>();
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      const to = new Set([...(folders.get(from) ?? []), ...targets.map(folderOf)]);
      to.delete(from);
      folders.set(from, [...to].sort());
    }
    const cycles = cyclesOf(folders).map((cycle) => cycle.join(" -> "));
    expect(cycles.sort()).toEqual(KNOWN_FOLDER_CYCLES);
  });
});

describe("the import scanner", () => {
  it("reports a cycle it is given, and none in a chain", () => {
    const ring = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
    ]);
    expect(cyclesOf(ring)).toEqual([["a.ts", "b.ts", "c.ts"]]);
    const chain = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", []],
    ]);
    expect(cyclesOf(chain)).toEqual([]);
  });
});
