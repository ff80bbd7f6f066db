/**
 * For the search tests: runs as plain objects, how to read them, and a direct evaluator of a filter's
 * AST written the obvious way (no precomputation, LIKE by recursion over characters), to check the
 * compiled predicate against.
 */
import type { Expr, Ident, Literal, RunAccessors } from "../../src/query/index.js";

export interface PlainRun {
  runId: string;
  experimentId: string;
  parentRunId: string | null;
  status: string;
  startTime: string;
  endTime: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

export const plainAccessors: RunAccessors<PlainRun> = {
  metric: (key) => (r) => (Object.hasOwn(r.metrics, key) ? r.metrics[key] : undefined),
  param: (key) => (r) => (Object.hasOwn(r.params, key) ? r.params[key] : undefined),
  tag: (key) => (r) => (Object.hasOwn(r.tags, key) ? r.tags[key] : undefined),
  attribute: (name) => (r) => (name === "startTime" ? Date.parse(r.startTime) : name === "endTime" ? (r.endTime === null ? null : Date.parse(r.endTime)) : r[name]),
};

let runCounter = 0;
export function plainRun(partial: Partial<PlainRun> = {}): PlainRun {
  runCounter++;
  return {
    runId: `run${String(runCounter).padStart(4, "0")}`,
    experimentId: "1",
    parentRunId: null,
    status: "FINISHED",
    startTime: new Date(Date.UTC(2026, 0, 1) + runCounter * 1000).toISOString(),
    endTime: null,
    params: {},
    metrics: {},
    tags: {},
    ...partial,
  };
}

function valueOf(run: PlainRun, ident: Ident): unknown {
  const has = (o: Record<string, unknown>) => (Object.hasOwn(o, ident.key) ? o[ident.key] : undefined);
  switch (ident.kind) {
    case "metrics": return has(run.metrics);
    case "params": return has(run.params);
    case "tags": return has(run.tags);
    case "attributes": {
      const v = (run as unknown as Record<string, unknown>)[ident.key];
      return (ident.key === "startTime" || ident.key === "endTime") && typeof v === "string" ? new Date(v).getTime() : v;
    }
  }
}

const isTime = (ident: Ident) => ident.kind === "attributes" && (ident.key === "startTime" || ident.key === "endTime");

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  if (t === "NaN") return NaN;
  if (t === "Infinity" || t === "+Infinity") return Infinity;
  if (t === "-Infinity") return -Infinity;
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? parseFloat(t) : undefined;
}

function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return `${v}`;
  return JSON.stringify(v);
}

function numbers(a: number, cmp: string, b: number): boolean {
  const nan = Number.isNaN(a) || Number.isNaN(b);
  if (cmp === "=") return nan ? Number.isNaN(a) && Number.isNaN(b) : a === b;
  if (cmp === "!=") return !numbers(a, "=", b);
  if (nan) return false;
  return cmp === "<" ? a < b : cmp === "<=" ? a <= b : cmp === ">" ? a > b : a >= b;
}

function texts(a: string, cmp: string, b: string): boolean {
  return cmp === "=" ? a === b : cmp === "!=" ? a !== b : cmp === "<" ? a < b : cmp === "<=" ? a <= b : cmp === ">" ? a > b : a >= b;
}

function compare(ident: Ident, v: unknown, cmp: string, lit: Literal): boolean {
  if (ident.kind === "metrics") return numbers(v as number, cmp, lit.value as number);
  if (isTime(ident)) return numbers(v as number, cmp, lit.type === "number" ? lit.value : new Date(lit.value).getTime());
  if (ident.kind === "params" && lit.type === "number") {
    const n = asNumber(v);
    return n === undefined ? cmp === "!=" : numbers(n, cmp, lit.value);
  }
  return texts(ident.kind === "params" ? asText(v) : (v as string), cmp, lit.value as string);
}

/** LIKE the slow, obvious way: characters (code points), % any run, _ one. */
export function like(text: string, pattern: string): boolean {
  const s = [...text];
  const p = [...pattern];
  const memo = new Map<string, boolean>();
  const m = (i: number, j: number): boolean => {
    const k = `${i},${j}`;
    if (memo.has(k)) return memo.get(k)!;
    let r: boolean;
    if (i === p.length) r = j === s.length;
    else if (p[i] === "%") r = m(i + 1, j) || (j < s.length && m(i, j + 1));
    else r = j < s.length && (p[i] === "_" || p[i] === s[j]) && m(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return m(0, 0);
}

export function evaluate(e: Expr, run: PlainRun): boolean {
  switch (e.op) {
    case "or": return evaluate(e.left, run) || evaluate(e.right, run);
    case "and": return evaluate(e.left, run) && evaluate(e.right, run);
    case "not": return !evaluate(e.arg, run);
    case "null": {
      const missing = valueOf(run, e.ident) === undefined || valueOf(run, e.ident) === null;
      return e.negated ? !missing : missing;
    }
  }
  const v = valueOf(run, e.ident);
  if (v === undefined || v === null) return false;
  if (e.op === "cmp") return compare(e.ident, v, e.cmp, e.value);
  if (e.op === "in") return e.values.some((l) => compare(e.ident, v, "=", l)) !== e.negated;
  const text = e.ident.kind === "params" ? asText(v) : (v as string);
  const hit = e.caseInsensitive ? like(text.toLowerCase(), e.pattern.toLowerCase()) : like(text, e.pattern);
  return hit !== e.negated;
}
