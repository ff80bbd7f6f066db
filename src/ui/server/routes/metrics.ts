/**
 * GET /api/runs/:runId/metrics/:key — one metric's history for a chart. Up to `buckets` points it
 * sends every point; beyond, it cuts the x range into `buckets` equal parts and sends, per part that
 * holds points, [x of its last point, last value, min, max], so a spike survives as a bucket's max.
 */
import { Hono } from "hono";
import { InvalidInput, type MetricPoint } from "../../../index.js";
import type { RouteContext } from "../context.js";
import { intParam, param, sendJson } from "../http.js";

export type SeriesEntry = [x: number, last: number, min: number, max: number];

export interface Series {
  total: number;
  bucketed: boolean;
  points: SeriesEntry[];
  /** x of every entry that holds a NaN (bucketed, a NaN need not be a bucket's last value, and min/max skip NaN). */
  nanAt: number[];
}

export function metricsRoutes({ views }: RouteContext): Hono {
  return new Hono().get("/runs/:runId/metrics/*", async (c) => {
    const view = views.of(c);
    const runId = c.req.param("runId");
    const key = metricKey(c.req.url);
    const x = param(c, "x") ?? "step";
    if (x !== "step" && x !== "time") throw new InvalidInput("x", `must be step or time, got ${JSON.stringify(x)}`);
    const from = bound(param(c, "from"), "from", x);
    const to = bound(param(c, "to"), "to", x);
    if (from > to) throw new InvalidInput("from", `must not be after to (${from} > ${to})`);
    const buckets = intParam(c, "buckets", 1000, 1, 100_000);
    const history = await view.getMetricHistory(runId, key);
    return sendJson(c, { runId, key, ...series(history, x, from, to, buckets) });
  });
}

/** The key is the rest of the path, decoded: a metric key may hold "/" (train/loss), sent as is or as %2F. */
function metricKey(url: string): string {
  const path = new URL(url).pathname;
  const raw = path.slice(path.indexOf("/metrics/") + "/metrics/".length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidInput("key", "is not a well-formed URL-encoded string");
  }
}

function bound(text: string | undefined, name: string, x: "step" | "time"): number {
  if (text === undefined || text === "") return name === "from" ? -Infinity : Infinity;
  const n = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? Number(text) : x === "time" ? Date.parse(text) : NaN;
  if (!Number.isFinite(n)) throw new InvalidInput(name, `must be a number${x === "time" ? " (epoch milliseconds) or an ISO time" : ""}, got ${JSON.stringify(text)}`);
  return n;
}

export function series(history: MetricPoint[], x: "step" | "time", from: number, to: number, buckets: number): Series {
  const field = x === "step" ? "step" : "timestamp";
  // One pass: the points in [from, to], and whether they are already in x order (they nearly always are).
  let points: MetricPoint[] = [];
  let ordered = true;
  let previous = -Infinity;
  for (const p of history) {
    const px = p[field];
    if (px < from || px > to) continue;
    if (px < previous) ordered = false;
    previous = px;
    points.push(p);
  }
  if (!ordered) points = points.map((p, i) => ({ p, i })).sort((a, b) => a.p[field] - b.p[field] || a.i - b.i).map((e) => e.p);
  const total = points.length;
  const nanAt: number[] = [];
  if (total <= buckets) {
    const out: SeriesEntry[] = new Array(total);
    for (let i = 0; i < total; i++) {
      const p = points[i]!;
      if (Number.isNaN(p.value)) nanAt.push(p[field]);
      out[i] = [p[field], p.value, p.value, p.value];
    }
    return { total, bucketed: false, points: out, nanAt };
  }
  const lo = points[0]![field];
  const width = (points[total - 1]![field] - lo) / buckets;
  const out: SeriesEntry[] = [];
  let current = -1;
  let entry: SeriesEntry = [NaN, NaN, NaN, NaN];
  let sawNaN = false;
  for (const p of points) {
    const px = p[field];
    const v = p.value;
    const b = width > 0 ? Math.min(buckets - 1, Math.floor((px - lo) / width)) : 0;
    if (b !== current) {
      if (current >= 0) {
        out.push(entry);
        if (sawNaN) nanAt.push(entry[0]);
      }
      current = b;
      entry = [px, v, NaN, NaN];
      sawNaN = false;
    }
    entry[0] = px;
    entry[1] = v;
    if (v !== v) sawNaN = true;
    // min/max skip NaN (it orders with nothing); ±Infinity count, so an overflow shows as the bucket's max or min.
    else {
      if (!(v >= entry[2])) entry[2] = v;
      if (!(v <= entry[3])) entry[3] = v;
    }
  }
  out.push(entry);
  if (sawNaN) nanAt.push(entry[0]);
  return { total, bucketed: true, points: out, nanAt };
}
