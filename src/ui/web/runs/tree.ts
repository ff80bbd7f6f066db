import type { Run } from "../lib/types";

export interface Row {
  run: Run;
  depth: number;
  childCount: number;
}

/**
 * Nests runs under their parents, keeping the server's order among siblings: a child follows its
 * parent; a run whose parent is not in the list stays at the top level.
 */
export function nest(runs: Run[], collapsed: ReadonlySet<string>): Row[] {
  const ids = new Set(runs.map((r) => r.runId));
  const children = new Map<string, Run[]>();
  const roots: Run[] = [];
  for (const run of runs) {
    const parent = run.parentRunId;
    if (parent && ids.has(parent) && parent !== run.runId) {
      let list = children.get(parent);
      if (!list) children.set(parent, (list = []));
      list.push(run);
    } else roots.push(run);
  }
  const rows: Row[] = [];
  const seen = new Set<string>();
  const visit = (run: Run, depth: number) => {
    if (seen.has(run.runId)) return; // a parent cycle cannot loop forever
    seen.add(run.runId);
    const kids = children.get(run.runId) ?? [];
    rows.push({ run, depth, childCount: kids.length });
    if (!collapsed.has(run.runId)) for (const kid of kids) visit(kid, depth + 1);
  };
  for (const run of roots) visit(run, 0);
  // Runs caught in a parent cycle have no root: show them flat rather than lose them.
  for (const run of runs) if (!seen.has(run.runId) && !isUnderCollapsed(run, runs, collapsed)) visit(run, 0);
  return rows;
}

function isUnderCollapsed(run: Run, runs: Run[], collapsed: ReadonlySet<string>): boolean {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  let parent = run.parentRunId;
  for (let i = 0; parent && i < 100; i++) {
    if (collapsed.has(parent)) return true;
    parent = byId.get(parent)?.parentRunId ?? null;
  }
  return false;
}
