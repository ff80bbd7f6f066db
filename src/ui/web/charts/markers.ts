/** A uPlot plugin that marks NaN (●, at the bottom) and ±Infinity (▲ top / ▼ bottom) points of each run, in its colour. */
import type uPlot from "uplot";
import type { Series } from "./series";

export function oddValueMarkers(get: () => Array<{ series: Series; color: string }>): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        const { left, top, width, height } = u.bbox;
        const r = 4 * devicePixelRatio;
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, top, width, height);
        ctx.clip();
        for (const { series, color } of get()) {
          for (const p of series.odd) {
            const cx = u.valToPos(p.x, "x", true);
            if (cx < left - r || cx > left + width + r) continue;
            ctx.fillStyle = color;
            ctx.strokeStyle = color;
            ctx.beginPath();
            if (p.kind === "Infinity") {
              ctx.moveTo(cx, top + 1);
              ctx.lineTo(cx - r, top + 1 + 2 * r);
              ctx.lineTo(cx + r, top + 1 + 2 * r);
            } else if (p.kind === "-Infinity") {
              ctx.moveTo(cx, top + height - 1);
              ctx.lineTo(cx - r, top + height - 1 - 2 * r);
              ctx.lineTo(cx + r, top + height - 1 - 2 * r);
            } else {
              ctx.arc(cx, top + height - 1 - r, r, 0, 2 * Math.PI);
            }
            ctx.closePath();
            if (p.kind === "NaN") {
              ctx.lineWidth = 1.5 * devicePixelRatio;
              ctx.stroke();
            } else ctx.fill();
          }
        }
        ctx.restore();
      },
    },
  };
}
