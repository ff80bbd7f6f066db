/** Chart settings shared by every chart on a page, kept in the URL (x, smooth, log, outliers). */
import type { Query } from "../lib/url";
import type { XMode } from "./series";

export interface ChartSettings {
  x: XMode;
  /** EMA weight, 0 (none) to 0.99. */
  smoothing: number;
  log: boolean;
  ignoreOutliers: boolean;
}

export function chartSettings(query: Query): ChartSettings {
  const x = query.get("x");
  const smoothing = Number(query.get("smooth") ?? "0.6");
  return {
    x: x === "time" || x === "relative" ? x : "step",
    smoothing: Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0.6,
    log: query.get("log") === "1",
    ignoreOutliers: query.get("outliers") === "0",
  };
}
