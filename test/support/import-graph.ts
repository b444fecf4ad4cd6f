import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

// A static scan of relative imports between the TypeScript files of a folder: enough to check which
// way dependencies point without a bundler or a new dependency. Type-only imports count too: they tie
// modules together for a reader as much as value imports do.

/** `from "…"` of import/export statements, side-effect `import "…"`, and dynamic `import("…")`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Drops comments so that an import written in a comment is not mistaken for a real one. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** Each file (relative to `root`, with `/`) and the files it imports, by the same naming. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of typescriptFiles(root)) {
    const targets = new Set<string>();
    for (const match of withoutComments(readFileSync(file, "utf8")).matchAll(SPECIFIER)) {
      const specifier = match[1] ?? "";
      if (!specifier.startsWith(".")) continue;
      // Sources import "./x.js" for the file x.ts (NodeNext resolution).
      const target = resolve(dirname(file), specifier).replace(/\.js$/, ".ts");
      targets.add(relative(root, target).split("\\").join("/"));
    }
    graph.set(relative(root, file).split("\\").join("/"), [...targets].sort());
  }
  return graph;
}

/** Every cycle of the graph, each once, as the list of files around it starting from its smallest. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0] as string);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(canonical.join(" -> "), canonical);
      } else if (!state.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return [...cycles.values()];
}
