/** Fetching one run's metric series from the server (bucketed min/max/last) and lining several up for uPlot. */
import { getJson, num } from "../lib/api";
import type { SeriesAnswer } from "../lib/types";

export type XMode = "step" | "time" | "relative";

export interface Series {
  runId: string;
  key: string;
  total: number;
  bucketed: boolean;
  x: number[];
  last: Array<number | null>;
  min: Array<number | null>;
  max: Array<number | null>;
  /** NaN and ±Infinity points: drawn as markers, never dropped. */
  odd: Array<{ x: number; kind: "NaN" | "Infinity" | "-Infinity" }>;
  /** For relative time: the run's first timestamp (ms), subtracted from every x. */
  origin: number;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * x is the step, epoch seconds (wall time), or seconds since the run's first point (relative).
 * `range` bounds x in the same units, for a zoom at full resolution.
 */
export async function fetchSeries(runId: string, key: string, mode: XMode, buckets: number, range: { from: number; to: number } | null, origin: number | null, signal?: AbortSignal): Promise<Series> {
  const toServer = (v: number) => (mode === "step" ? Math.round(v) : mode === "time" ? v * 1000 : v * 1000 + (origin ?? 0));
  const answer = await getJson<SeriesAnswer>(
    `/api/runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}`,
    {
      x: mode === "step" ? "step" : "time",
      buckets,
      ...(range ? { from: mode === "step" ? Math.floor(range.from) : toServer(range.from), to: mode === "step" ? Math.ceil(range.to) : toServer(range.to) } : {}),
    },
    signal,
  );
  const points = answer.points;
  const start = mode === "relative" ? (origin ?? (points.length ? points[0]![0] : 0)) : 0;
  const s: Series = { runId, key, total: answer.total, bucketed: answer.bucketed, x: [], last: [], min: [], max: [], odd: [], origin: start };
  for (const [x0, last, min, max] of points) {
    const x = mode === "step" ? x0 : mode === "time" ? x0 / 1000 : (x0 - start) / 1000;
    const v = num(last);
    s.x.push(x);
    s.last.push(finiteOrNull(v));
    s.min.push(finiteOrNull(num(min)));
    s.max.push(finiteOrNull(num(max)));
    if (!Number.isFinite(v)) s.odd.push({ x, kind: Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity" });
    else {
      // A bucket whose last value is finite may still hold a NaN or an infinity: its min/max say so.
      const lo = num(min), hi = num(max);
      if (hi === Infinity) s.odd.push({ x, kind: "Infinity" });
      if (lo === -Infinity) s.odd.push({ x, kind: "-Infinity" });
      if (Number.isNaN(lo) || Number.isNaN(hi)) s.odd.push({ x, kind: "NaN" });
    }
  }
  // The server lists where bucketed NaNs hide (min and max skip NaN, the last value may be finite).
  const nanXs = new Set(s.odd.filter((o) => o.kind === "NaN").map((o) => o.x));
  for (const x0 of answer.nanAt ?? []) {
    const x = mode === "step" ? x0 : mode === "time" ? x0 / 1000 : (x0 - start) / 1000;
    if (!nanXs.has(x)) s.odd.push({ x, kind: "NaN" });
  }
  return s;
}

/** Lines series up on one sorted x axis (the union of their x values); a series has null where it has no point. */
export function align(series: Series[]): { x: number[]; index: Array<Map<number, number>> } {
  const xs = new Set<number>();
  for (const s of series) for (const x of s.x) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  const position = new Map(x.map((v, i) => [v, i]));
  const index = series.map((s) => {
    const m = new Map<number, number>();
    s.x.forEach((v, i) => m.set(position.get(v)!, i));
    return m;
  });
  return { x, index };
}

export function column(length: number, s: Series, map: Map<number, number>, field: "last" | "min" | "max"): Array<number | null> {
  const out: Array<number | null> = new Array(length).fill(null);
  const values = s[field];
  for (const [at, i] of map) out[at] = values[i] ?? null;
  return out;
}

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#843c39"];

export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
