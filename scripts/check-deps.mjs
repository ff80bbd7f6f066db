#!/usr/bin/env node
/**
 * The dependency check (DESIGN.md, "arrows"): reads every import in src/ and projections/ and fails
 * when one points the wrong way, or when modules import each other in a cycle.
 *
 *   node scripts/check-deps.mjs [ROOT]   — prints one line per violation; exit 1 if any.
 *
 * Imports are read with a regular expression (static `import … from`, `export … from`, bare
 * `import "…"`, and `import("…")` with a literal), which is all this code base uses.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Who may not import whom: [a module matching `from`, may not import one matching `to`, because]. */
export const RULES = [
  [/^projections\//, /^(?!projections\/|src\/events\.ts$)/, "projections import src/events.ts only"],
  [/^src\/(store|journal)\//, /^src\/(tracker|index|api\/|cli\/|ui\/|interop\/|query\/|projector|audit)|^projections\//, "a backend never imports the tracker, the api or the read side"],
  [/^src\/api\//, /^src\/(tracker|index|cli\/|ui\/|interop\/)/, "the api never imports the tracker or what sits on it"],
  [/^src\/(cli|ui\/server|interop)\//, /^src\/(api\/|store\/(?!index\.ts$|types\.ts$)|journal\/|projector)/, "the CLI, server and interop go through the tracker (or openStore), not the api or a backend"],
  [/^src\/(?!store\/|journal\/)/, /^src\/(journal\/|store\/(paths|artifacts|snapshots)\.ts$|store\/(file|memory|postgres)\/)/, "only src/store knows a backend (use openStore and the interfaces in src/store/types.ts)"],
  [/^src\/(projector|audit)\.ts$/, /^src\/(tracker|api\/)/, "the projector and audit code sit below the api"],
  [/^src\/query\//, /^src\/(?!query\/|errors\.ts$|events\.ts$)/, "the query language knows only itself, errors, events and the projections"],
];

const CODE = /\.(ts|mts|tsx)$/;

function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (CODE.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;"'`]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every module under src/ and projections/ with the modules it imports (relative ones, as root-relative paths). */
export function importGraph(root) {
  const files = [...walk(join(root, "src")), ...walk(join(root, "projections"))];
  const graph = new Map();
  const rel = (p) => relative(root, p).split(sep).join("/");
  for (const file of files) {
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
    const targets = new Set();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".")) continue; // a package
      const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
      targets.add(rel(target));
    }
    graph.set(rel(file), targets);
  }
  return graph;
}

export function violations(graph) {
  const found = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      for (const [fromRule, toRule, why] of RULES) {
        if (fromRule.test(from) && toRule.test(to)) found.push(`${from} imports ${to}: ${why}`);
      }
    }
  }
  return [...found, ...cycles(graph).map((c) => `import cycle: ${c.join(" -> ")}`)];
}

/** Each cycle once, as the path that closes it. */
export function cycles(graph) {
  const state = new Map(); // 1: on the current path, 2: done
  const path = [];
  const out = [];
  const visit = (node) => {
    state.set(node, 1);
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 1) out.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 2);
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const graph = importGraph(root);
  const found = violations(graph);
  for (const v of found) process.stdout.write(`${v}\n`);
  process.stdout.write(found.length === 0 ? `dependencies ok: ${graph.size} modules, no arrow the wrong way, no cycle\n` : `${found.length} dependency violation(s)\n`);
  process.exitCode = found.length === 0 ? 0 : 1;
}
