/** Turns fetched series into uPlot's data and series options: raw line (faint when smoothed), EMA line, min–max band. */
import uPlot from "uplot";
import { debiasedEma } from "./ema";
import { align, colorOf, column, withAlpha, type Series } from "./series";
import type { ChartSettings } from "./settings";

export interface Built {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands: uPlot.Band[];
  /** uPlot series index of each run's main line (smoothed if smoothing, else raw). */
  main: number[];
  /** Whether the options (not only the data) differ from another build with the same key. */
  shape: string;
}

export function build(all: Series[], labels: string[], settings: ChartSettings): Built {
  const { x, index } = align(all);
  const data: Array<Array<number | null>> = [x];
  const series: uPlot.Series[] = [{ label: settings.x === "step" ? "step" : settings.x === "time" ? "time" : "seconds" }];
  const bands: uPlot.Band[] = [];
  const main: number[] = [];
  const smooth = settings.smoothing > 0;
  const positive = (v: number | null) => (settings.log && v != null && v <= 0 ? null : v);
  let shape = `${settings.x}|${smooth}|${settings.log}|${settings.ignoreOutliers}`;
  all.forEach((s, i) => {
    const color = colorOf(i);
    const label = labels[i] ?? s.runId;
    const raw = column(x.length, s, index[i]!, "last").map(positive);
    if (s.bucketed) {
      data.push(column(x.length, s, index[i]!, "max").map(positive), column(x.length, s, index[i]!, "min").map(positive));
      const hi = data.length - 2;
      series.push({ label: `${label} max`, stroke: withAlpha(color, 0.35), width: 0.5, points: { show: false }, spanGaps: true },
        { label: `${label} min`, stroke: withAlpha(color, 0.35), width: 0.5, points: { show: false }, spanGaps: true });
      bands.push({ series: [hi, hi + 1], fill: withAlpha(color, 0.12) });
    }
    // Few points: draw them as dots too (one logged value would otherwise be invisible).
    const sparse = s.x.length <= 40;
    data.push(raw);
    series.push({ label, stroke: smooth ? withAlpha(color, 0.28) : color, width: smooth ? 1 : 1.5, spanGaps: true, points: { show: sparse && !smooth, size: 6, fill: color } });
    if (smooth) {
      data.push(debiasedEma(raw, settings.smoothing));
      series.push({ label: `${label} (smoothed)`, stroke: color, width: 1.75, spanGaps: true, points: { show: sparse, size: 6, fill: color } });
    }
    main.push(data.length - 1);
    shape += `|${s.bucketed}`;
  });
  return { data: data as uPlot.AlignedData, series, bands, main, shape };
}

/** A y range that ignores the top and bottom 2 % of the values (TensorBoard's "ignore outliers"). */
export function robustRange(data: uPlot.AlignedData, columns: number[]): [number, number] | null {
  const values: number[] = [];
  for (const c of columns) for (const v of data[c] ?? []) if (v != null && Number.isFinite(v)) values.push(v);
  if (values.length < 5) return null;
  values.sort((a, b) => a - b);
  const lo = values[Math.floor(values.length * 0.02)]!;
  const hi = values[Math.min(values.length - 1, Math.ceil(values.length * 0.98) - 1)]!;
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}
