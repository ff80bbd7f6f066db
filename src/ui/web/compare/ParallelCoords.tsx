/**
 * Parallel coordinates in plain SVG: one axis per param (numbers on a linear scale, anything else
 * as evenly spaced categories) and the chosen metric last; one line per run, coloured by the metric.
 */
import { num } from "../lib/api";
import { fmtNumber, fmtValue } from "../lib/format";
import type { Run } from "../lib/types";
import { colorOf } from "../charts/series";

interface Axis { label: string; value: (r: Run) => unknown; numeric: boolean; scale: (v: unknown) => number | null; ticks: Array<[number, string]> }

function makeAxis(label: string, value: (r: Run) => unknown, runs: Run[]): Axis {
  const values = runs.map(value).filter((v) => v !== undefined);
  const numeric = values.length > 0 && values.every((v) => typeof v === "number" || (typeof v === "string" && /^(NaN|-?Infinity)$/.test(v)));
  if (numeric) {
    const finite = values.map((v) => num(v as number)).filter(Number.isFinite);
    const lo = Math.min(...finite), hi = Math.max(...finite);
    const span = hi - lo || 1;
    const scale = (v: unknown) => { const n = num(v as number); return v === undefined || !Number.isFinite(n) ? null : (n - lo) / span; };
    const ticks: Array<[number, string]> = finite.length ? (hi === lo ? [[0.5, fmtNumber(lo)]] : [[0, fmtNumber(lo)], [0.5, fmtNumber(lo + span / 2)], [1, fmtNumber(hi)]]) : [];
    return { label, value, numeric, scale: (v) => (hi === lo && scale(v) != null ? 0.5 : scale(v)), ticks };
  }
  const cats = [...new Set(values.map(fmtValue))].sort();
  const pos = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
  return { label, value, numeric, scale: (v) => (v === undefined ? null : pos(cats.indexOf(fmtValue(v)))), ticks: cats.map((c, i) => [pos(i), c]) };
}

export function ParallelCoords({ runs, params, metric, labels }: { runs: Run[]; params: string[]; metric: string | null; labels: Map<string, string> }) {
  const axes = params.map((p) => makeAxis(p, (r) => r.params[p], runs));
  if (metric) axes.push(makeAxis(`metrics.${metric}`, (r) => r.metrics[metric], runs));
  if (axes.length < 2) return <p class="muted">Parallel coordinates need two or more params or a metric.</p>;
  const W = Math.max(480, axes.length * 150), H = 280, top = 24, bottom = 30, left = 70, right = 110;
  const x = (i: number) => left + (i * (W - left - right)) / (axes.length - 1);
  const y = (t: number) => top + (1 - t) * (H - top - bottom);
  const metricAxis = metric ? axes[axes.length - 1]! : null;
  return (
    <svg class="parallel" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label="parallel coordinates">
      {runs.map((r, ri) => {
        const pts = axes.map((a, i) => { const t = a.scale(a.value(r)); return t == null ? null : `${x(i)},${y(t)}`; });
        const m = metricAxis?.scale(metricAxis.value(r));
        const color = m != null ? `hsl(${220 - 200 * m}, 70%, 45%)` : colorOf(ri);
        // A run missing an axis's value is drawn in pieces, never through a made-up point.
        const pieces: string[][] = [[]];
        for (const p of pts) { if (p) pieces[pieces.length - 1]!.push(p); else pieces.push([]); }
        return (
          <g key={r.runId} class="pc-run">
            <title>{labels.get(r.runId) ?? r.runId}</title>
            {pieces.filter((p) => p.length > 1).map((p, i) => <polyline key={i} points={p.join(" ")} fill="none" stroke={color} stroke-width={1.6} stroke-opacity={0.8} />)}
          </g>
        );
      })}
      {axes.map((a, i) => (
        <g key={a.label}>
          <line x1={x(i)} x2={x(i)} y1={top} y2={H - bottom} stroke="#333" />
          <text x={x(i)} y={H - 10} text-anchor="middle" class="pc-label">{a.label}</text>
          {a.ticks.map(([t, label]) => <text key={label} x={x(i) + 4} y={y(t) + 4} class="pc-tick">{label}</text>)}
        </g>
      ))}
    </svg>
  );
}
