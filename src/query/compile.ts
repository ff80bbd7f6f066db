/**
 * AST → one predicate over a run. Everything that depends only on the filter (the literal's type,
 * its number or time, a LIKE's regular expression, an IN list's set) is worked out here, once; the
 * predicate per run only reads values and compares.
 */
import { ATTRIBUTES, type AttributeName, type Comparison, type Expr, type Ident, type Literal } from "./ast.js";

/**
 * How to read a run, whatever its representation: each factory is called once per ident at compile
 * time and returns the reader used per run. `undefined` or `null` means the run lacks the key.
 */
export interface RunAccessors<R> {
  metric(key: string): (run: R) => number | undefined;
  param(key: string): (run: R) => unknown;
  tag(key: string): (run: R) => string | undefined;
  /** Text attributes as strings; time attributes (startTime, endTime) as epoch milliseconds. */
  attribute(name: AttributeName): (run: R) => string | number | null;
}

export type Predicate<R> = (run: R) => boolean;

export function compileFilter<R>(expr: Expr | null, acc: RunAccessors<R>): Predicate<R> {
  return expr === null ? () => true : compile(expr, acc);
}

function compile<R>(e: Expr, acc: RunAccessors<R>): Predicate<R> {
  switch (e.op) {
    case "or": {
      const a = compile(e.left, acc);
      const b = compile(e.right, acc);
      return (r) => a(r) || b(r);
    }
    case "and": {
      const a = compile(e.left, acc);
      const b = compile(e.right, acc);
      return (r) => a(r) && b(r);
    }
    case "not": {
      const a = compile(e.arg, acc);
      return (r) => !a(r);
    }
    case "null": {
      const get = reader(e.ident, acc);
      return e.negated ? (r) => get(r) != null : (r) => get(r) == null;
    }
    default: {
      // Two-valued logic: a run without the key fails every test but IS NULL (NOT negates the whole test).
      const get = reader(e.ident, acc);
      const test = valueTest(e, e.ident);
      return (r) => {
        const v = get(r);
        return v != null && test(v);
      };
    }
  }
}

function reader<R>(ident: Ident, acc: RunAccessors<R>): (run: R) => unknown {
  switch (ident.kind) {
    case "metrics":
      return acc.metric(ident.key);
    case "params":
      return acc.param(ident.key);
    case "tags":
      return acc.tag(ident.key);
    case "attributes":
      return acc.attribute(ident.key as AttributeName);
  }
}

type ValueTest = (v: unknown) => boolean;

/** The test on a present value, for a cmp, in or like node. */
function valueTest(e: Extract<Expr, { op: "cmp" | "in" | "like" }>, ident: Ident): ValueTest {
  const numeric = ident.kind === "metrics" || (ident.kind === "attributes" && ATTRIBUTES[ident.key as AttributeName].type === "time");
  if (e.op === "like") {
    const re = likePattern(e.caseInsensitive ? e.pattern.toLowerCase() : e.pattern);
    const text = ident.kind === "params" ? paramText : (v: unknown) => v as string;
    const match: ValueTest = e.caseInsensitive ? (v) => re.test(text(v).toLowerCase()) : (v) => re.test(text(v));
    return e.negated ? (v) => !match(v) : match;
  }
  if (e.op === "in") {
    const tests = e.values.map((value) => literalTest("=", value, ident, numeric));
    // One Set lookup when the list is all of one plain kind (SameValueZero: NaN finds NaN, as `=` does).
    let any: ValueTest;
    if (numeric) {
      const set = new Set(e.values.map((l) => literalNumber(l)));
      any = (v) => set.has(v as number);
    } else if (ident.kind !== "params" || e.values.every((l) => l.type === "string")) {
      const set = new Set(e.values.map((l) => l.value));
      any = ident.kind === "params" ? (v) => set.has(paramText(v)) : (v) => set.has(v as string);
    } else any = (v) => tests.some((t) => t(v));
    return e.negated ? (v) => !any(v) : any;
  }
  return literalTest(e.cmp, e.value, ident, numeric);
}

function literalTest(cmp: Comparison, literal: Literal, ident: Ident, numeric: boolean): ValueTest {
  if (numeric) {
    const n = literalNumber(literal);
    return numberTest(cmp, n);
  }
  if (ident.kind === "params") {
    if (literal.type === "number") {
      const t = numberTest(cmp, literal.value);
      const eq = cmp === "!=";
      // A param that is not a number (nor a numeric string) is never equal, so `!=` holds and orderings fail.
      return (v) => {
        const n = paramNumber(v);
        return n === undefined ? eq : t(n);
      };
    }
    const t = textTest(cmp, literal.value);
    return (v) => t(paramText(v));
  }
  return textTest(cmp, literal.value as string) as ValueTest;
}

/** `=` finds NaN (unlike IEEE); orderings with NaN on either side are false. */
function numberTest(cmp: Comparison, n: number): (v: unknown) => boolean {
  if (Number.isNaN(n)) {
    if (cmp === "=") return (v) => Number.isNaN(v);
    if (cmp === "!=") return (v) => !Number.isNaN(v);
    return () => false;
  }
  switch (cmp) {
    case "=": return (v) => v === n;
    case "!=": return (v) => v !== n;
    case "<": return (v) => (v as number) < n;
    case "<=": return (v) => (v as number) <= n;
    case ">": return (v) => (v as number) > n;
    case ">=": return (v) => (v as number) >= n;
  }
}

function textTest(cmp: Comparison, s: string): (v: string) => boolean {
  switch (cmp) {
    case "=": return (v) => v === s;
    case "!=": return (v) => v !== s;
    case "<": return (v) => v < s;
    case "<=": return (v) => v <= s;
    case ">": return (v) => v > s;
    case ">=": return (v) => v >= s;
  }
}

/** A literal as a number: numbers as they are, times (ISO strings) as epoch ms (the parser checked they parse). */
function literalNumber(l: Literal): number {
  return l.type === "number" ? l.value : Date.parse(l.value);
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const SPECIAL_TEXT = new Map([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity], ["+Infinity", Infinity]]);

/** A param as a number: a number, or a string that spells one ("0.01", " 32 ", "1e-3", "NaN", "-Infinity"); else undefined. */
export function paramNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  if (NUMERIC_TEXT.test(v)) return Number(v);
  return SPECIAL_TEXT.get(v.trim());
}

/** A param as text: a string as is, a number as String(v), anything else as JSON. */
export function paramText(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
}

/** LIKE: `%` any run of characters (also none), `_` exactly one character; everything else literal. */
export function likePattern(pattern: string): RegExp {
  let source = "";
  for (const c of pattern) source += c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`^${source}$`, "su");
}
