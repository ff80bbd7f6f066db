/**
 * One metric of several runs on one uPlot chart. Data comes bucketed from the server (min, max and
 * last per bucket, so a spike never vanishes); a drag-zoom fetches that x range again at full
 * resolution; new points arrive live and are drawn in place (zoom and cursor kept); the cursor
 * follows every other chart on the page (uPlot's cursor sync).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { ErrorBox } from "../components/ErrorBox";
import { asOf } from "../lib/api";
import { fmtNumber } from "../lib/format";
import { useLive } from "../lib/live";
import { build, robustRange, type Built } from "./build";
import { oddValueMarkers } from "./markers";
import { colorOf, fetchSeries, type Series } from "./series";
import type { ChartSettings } from "./settings";

const BUCKETS = 1000;
/** Steps are whole numbers: no tick at 1.5. */
const STEP_INCREMENTS = [1, 2, 5].flatMap((m) => Array.from({ length: 13 }, (_, e) => m * 10 ** e)).sort((a, b) => a - b);

export interface ChartRun { runId: string; label: string }

export function MetricChart({ metric, runs, settings, height = 240, syncKey = "runelog" }: {
  metric: string;
  runs: ChartRun[];
  settings: ChartSettings;
  height?: number;
  syncKey?: string;
}) {
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const [series, setSeries] = useState<Series[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [tick, setTick] = useState(0);
  const [cursor, setCursor] = useState<number | null>(null);
  const origins = useRef(new Map<string, number>());
  const runKey = runs.map((r) => r.runId).join(",");

  useEffect(() => { setZoom(null); origins.current.clear(); }, [settings.x, runKey]);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all(runs.map((r) => fetchSeries(r.runId, metric, settings.x, BUCKETS, zoom, origins.current.get(r.runId) ?? null, controller.signal)))
      .then((all) => {
        if (!zoom) for (const s of all) origins.current.set(s.runId, s.origin);
        setError(null);
        setSeries(all);
      }, (e: Error) => { if (e.name !== "AbortError") setError(e); });
    return () => controller.abort();
  }, [runKey, metric, settings.x, zoom?.from, zoom?.to, tick, asOf()]);

  const ids = new Set(runs.map((r) => r.runId));
  useLive(!asOf(), (e) => e.type === "MetricsLogged" && ids.has(String(e.data.runId)) && metric in (e.data.metrics as object), () => setTick((t) => t + 1), 150);

  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<{ u: uPlot; shape: string } | null>(null);
  const current = useRef<{ built: Built | null; series: Series[] }>({ built: null, series: [] });
  const zoomRef = useRef(setZoom);
  zoomRef.current = setZoom;

  const labels = runs.map((r) => r.label).join("\u0000");
  const built = useMemo(
    () => (series ? build(series, labels.split("\u0000"), settings) : null),
    [series, labels, settings.x, settings.smoothing, settings.log, settings.ignoreOutliers],
  );
  current.current = { built, series: series ?? [] };

  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !series || !built) return;
    if (plot.current && plot.current.shape === built.shape) {
      plot.current.u.setData(built.data);
      return;
    }
    plot.current?.u.destroy();
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: {
        sync: { key: syncKey, setSeries: false },
        drag: { x: true, y: false, setScale: false },
      },
      scales: {
        // One x value (a metric logged once) would get uPlot's default 0–100: centre it instead.
        x: { time: settings.x === "time", range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: settings.log
          ? { distr: 3 }
          : settings.ignoreOutliers
            ? { range: (u, min, max) => robustRange(u.data, current.current.built?.main ?? []) ?? [min, max] }
            : {},
      },
      axes: [
        { stroke: "#555", grid: { stroke: "#eee" }, ticks: { stroke: "#ddd" }, ...(settings.x === "step" ? { incrs: STEP_INCREMENTS } : {}) },
        { stroke: "#555", grid: { stroke: "#eee" }, ticks: { stroke: "#ddd" }, size: 60, values: (_u, vals) => vals.map((v) => fmtNumber(v)) },
      ],
      series: built.series,
      bands: built.bands,
      plugins: [oddValueMarkers(() => current.current.series.map((s, i) => ({ series: s, color: colorOf(i) })))],
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const from = u.posToVal(u.select.left, "x");
          const to = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          u.setScale("x", { min: from, max: to });
          zoomRef.current({ from, to });
        }],
        setCursor: [(u) => setCursor(u.cursor.idx ?? null)],
        draw: [(u) => {
          el.dataset.drawn = String(Number(el.dataset.drawn ?? 0) + 1);
          el.dataset.drawnAt = String(performance.now());
          el.dataset.points = String(u.data[0].length);
        }],
      },
    };
    const u = new uPlot(opts, built.data, el);
    u.over.addEventListener("dblclick", () => zoomRef.current(null));
    plot.current = { u, shape: built.shape };
  }, [built, height, syncKey]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => plot.current?.u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.current?.u.destroy(); plot.current = null; };
  }, []);

  const anyBucketed = series?.some((s) => s.bucketed);
  const odd = series?.reduce((n, s) => n + s.odd.length, 0) ?? 0;
  return (
    <div class="metric-chart" data-metric={metric} data-series={series?.length ?? 0}>
      <div class="chart-title">
        <strong>{metric}</strong>
        {zoom && <button type="button" class="link small" onClick={() => setZoom(null)}>reset zoom</button>}
        {anyBucketed && !zoom && <span class="muted small" title="the server sent min, max and last per bucket; the band is min–max">bucketed · min–max band</span>}
        {odd > 0 && <span class="odd-note small" title="● NaN at the bottom, ▲ +Infinity at the top, ▼ -Infinity at the bottom">{odd} non-finite</span>}
      </div>
      {error && <ErrorBox error={error} />}
      <div ref={box} class="chart-canvas" style={{ height: `${height}px` }} />
      {series && built && (
        <div class="chart-legend">
          {series.map((s, i) => {
            const main = built.data[built.main[i]!];
            let v: number | null | undefined = cursor != null ? main?.[cursor] : undefined;
            if (v === undefined || v === null) {
              const last = s.last.length ? s.last[s.last.length - 1] : null;
              v = cursor == null ? last : v;
            }
            return (
              <span key={s.runId} class="legend-item" title={`${s.runId} · ${s.total.toLocaleString("en")} points`}>
                <i style={{ background: colorOf(i) }} />
                {runs[i]?.label ?? s.runId}
                <span class="mono">{v == null ? "–" : fmtNumber(v)}</span>
              </span>
            );
          })}
          {cursor != null && built.data[0][cursor] != null && <span class="muted small mono">x = {fmtNumber(built.data[0][cursor]!)}</span>}
        </div>
      )}
    </div>
  );
}
