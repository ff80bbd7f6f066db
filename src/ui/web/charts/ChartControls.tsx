import { patchQuery } from "../lib/url";
import type { ChartSettings } from "./settings";

export function ChartControls({ settings }: { settings: ChartSettings }) {
  const set = (changes: Record<string, string | null>) => patchQuery(changes, { replace: true });
  return (
    <div class="chart-controls">
      <label>
        x-axis{" "}
        <select value={settings.x} onChange={(e) => set({ x: (e.target as HTMLSelectElement).value })} aria-label="x-axis">
          <option value="step">step</option>
          <option value="time">wall time</option>
          <option value="relative">relative time</option>
        </select>
      </label>
      <label>
        smoothing{" "}
        <input type="range" min={0} max={0.99} step={0.01} value={settings.smoothing} aria-label="smoothing"
          onInput={(e) => set({ smooth: (e.target as HTMLInputElement).value })} />
        <span class="mono small">{settings.smoothing.toFixed(2)}</span>
      </label>
      <label><input type="checkbox" checked={settings.log} onChange={(e) => set({ log: (e.target as HTMLInputElement).checked ? "1" : null })} /> log scale</label>
      <label><input type="checkbox" checked={settings.ignoreOutliers} onChange={(e) => set({ outliers: (e.target as HTMLInputElement).checked ? "0" : null })} /> ignore outliers</label>
      <span class="muted small">drag to zoom (full resolution) · double-click to reset</span>
    </div>
  );
}
