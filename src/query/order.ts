/**
 * Ordering runs by orderBy keys, then startTime ascending, then runId. Within a key, values fall in
 * classes that keep their place in both directions: numbers, then text, then NaN, then missing; only
 * the order inside a class of present values turns around for DESC.
 */
import type { AttributeName, OrderKey } from "./ast.js";
import { paramNumber, paramText, type RunAccessors } from "./compile.js";

const NUMBER = 0;
const TEXT = 1;
const NAN = 2;
const MISSING = 3;

/** A sort value: its class and, for numbers and text, the value. */
function classify(v: unknown, kind: OrderKey["ident"]["kind"]): [number, number | string] {
  if (v === undefined || v === null) return [MISSING, 0];
  if (typeof v === "number") return Number.isNaN(v) ? [NAN, 0] : [NUMBER, v];
  if (kind === "params") {
    const n = paramNumber(v);
    if (n !== undefined) return Number.isNaN(n) ? [NAN, 0] : [NUMBER, n];
    return [TEXT, paramText(v)];
  }
  return [TEXT, v as string];
}

/** Returns the runs sorted (a new array); each run's sort values are read once, not once per comparison. */
export function orderRuns<R>(runs: readonly R[], keys: readonly OrderKey[], acc: RunAccessors<R>): R[] {
  const n = runs.length;
  const columns = keys.map((k) => {
    const get =
      k.ident.kind === "metrics" ? acc.metric(k.ident.key)
      : k.ident.kind === "params" ? acc.param(k.ident.key)
      : k.ident.kind === "tags" ? acc.tag(k.ident.key)
      : acc.attribute(k.ident.key as AttributeName);
    const classes = new Uint8Array(n);
    const values: Array<number | string> = new Array(n);
    for (let i = 0; i < n; i++) {
      const [c, v] = classify(get(runs[i]!), k.ident.kind);
      classes[i] = c;
      values[i] = v;
    }
    return { classes, values, sign: k.descending ? -1 : 1 };
  });
  const startOf = acc.attribute("startTime");
  const idOf = acc.attribute("runId");
  const starts = new Float64Array(n);
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    starts[i] = startOf(runs[i]!) as number;
    ids[i] = idOf(runs[i]!) as string;
  }
  const index = Array.from({ length: n }, (_, i) => i);
  index.sort((a, b) => {
    for (const c of columns) {
      const ca = c.classes[a]!;
      const cb = c.classes[b]!;
      if (ca !== cb) return ca - cb;
      if (ca === NUMBER || ca === TEXT) {
        const x = c.values[a]!;
        const y = c.values[b]!;
        if (x !== y) return (x < y ? -1 : 1) * c.sign; // not x − y: Infinity − Infinity is NaN
      }
    }
    const d = starts[a]! - starts[b]!;
    if (d !== 0) return d;
    return ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0;
  });
  return index.map((i) => runs[i]!);
}
