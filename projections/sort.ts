/** The one ordering every view uses: numbers as numbers, strings by code point; missing values (null, undefined, NaN) last. */
const isMissing = (v: unknown): boolean => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));

function comparePresent(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = typeof a === "string" ? a : JSON.stringify(a);
  const sb = typeof b === "string" ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** A stable sort by one field; `ascending = false` reverses the present values and still puts missing ones last. */
export function sortBy<T>(rows: readonly T[], value: (row: T) => unknown, ascending = true): T[] {
  const keyed = rows.map((row, i) => ({ row, i, v: value(row) }));
  keyed.sort((x, y) => {
    const xm = isMissing(x.v);
    const ym = isMissing(y.v);
    const c = xm || ym ? Number(xm) - Number(ym) : ascending ? comparePresent(x.v, y.v) : comparePresent(y.v, x.v);
    return c !== 0 ? c : x.i - y.i;
  });
  return keyed.map((k) => k.row);
}
