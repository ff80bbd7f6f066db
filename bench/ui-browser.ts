/**
 * The web UI in Chromium, timed (node dist/bench/ui-browser.js [--quick]; run from the repository
 * root after `npm run build`). Prints one JSON object:
 *   runsPage: 10,000 runs × 20 columns, /api/runs request → table rows painted (target ≤ 1 s)
 *   chart:    10 runs × 100,000 points on one chart, first data request → drawn (≤ 500 ms; ≤ 100 KB a series)
 *   live:     logMetric resolved in another process → the point on the chart (≤ 1 s)
 *   asOf:     a 100k-event store, a new instant on the slider → runs page re-rendered (≤ 500 ms after the first)
 * `raw` is this machine's floor in the same run: a static file fetched by the same page.
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import type { Page } from "playwright-core";
import { newId } from "../src/events.js";
import { chromiumMissing, launchChromium, startUi, type UiServer } from "../test/helpers/ui-browser.js";
import { JournalBuilder, log, machine, median, now, QUICK, round, storeWithExperiment, tempStore } from "./lib.js";

const SIZES = QUICK ? { runs: 1_000, chartRuns: 10, chartPoints: 10_000, asOfEvents: 10_000 } : { runs: 10_000, chartRuns: 10, chartPoints: 100_000, asOfEvents: 100_000 };
const PARAMS = 10;
const METRICS = 10;

async function buildRunsStore() {
  const s = tempStore("ui-runs");
  const { experimentId, file } = await storeWithExperiment(s.dir, "wide");
  const b = new JournalBuilder(file);
  for (let i = 0; i < SIZES.runs; i++) {
    const runId = newId();
    b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: { sweep: "ui" }, git: null, env: null });
    b.add("ParamsLogged", { runId, params: Object.fromEntries(Array.from({ length: PARAMS }, (_, p) => [`p${p}`, (i * (p + 3)) % 97])) });
    b.add("MetricsLogged", { runId, metrics: Object.fromEntries(Array.from({ length: METRICS }, (_, m) => [`m${m}`, Math.sin(i * (m + 1)) + 1])), step: 0, timestamp: b.time });
    b.add("RunEnded", { runId, status: "FINISHED" });
  }
  b.close();
  return { ...s, experimentId, events: b.events };
}

async function buildChartStore() {
  const s = tempStore("ui-chart");
  const { experimentId, file } = await storeWithExperiment(s.dir, "long");
  const b = new JournalBuilder(file);
  const runIds = Array.from({ length: SIZES.chartRuns }, () => newId());
  for (const runId of runIds) b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: {}, git: null, env: null });
  for (let step = 0; step < SIZES.chartPoints; step++) {
    runIds.forEach((runId, r) => b.add("MetricsLogged", { runId, metrics: { loss: Math.exp(-step / (SIZES.chartPoints / 4)) * (1 + r / 10) + 0.05 * Math.sin(step) }, step, timestamp: b.time }));
  }
  for (const runId of runIds) b.add("RunEnded", { runId, status: "FINISHED" });
  b.close();
  return { ...s, experimentId, runIds, events: b.events };
}

async function buildAsOfStore() {
  const s = tempStore("ui-asof");
  const { experimentId, file } = await storeWithExperiment(s.dir, "history");
  const b = new JournalBuilder(file);
  const runs = 100;
  const perRun = Math.floor(SIZES.asOfEvents / runs) - 3;
  for (let r = 0; r < runs; r++) {
    const runId = newId();
    b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: {}, git: null, env: null });
    b.add("ParamsLogged", { runId, params: { lr: 0.001 * (r + 1), layers: r % 7 } });
    for (let step = 0; step < perRun; step++) b.add("MetricsLogged", { runId, metrics: { loss: 1 / (step + 1) + r / 1000 }, step, timestamp: b.time });
    b.add("RunEnded", { runId, status: "FINISHED" });
  }
  b.close();
  return { ...s, experimentId, events: b.events, first: Date.UTC(2026, 0, 1), last: Date.UTC(2026, 0, 1) + b.events };
}

/** In-page milliseconds from the first matching resource request's start to `until` resolving in the page. */
async function rawFetchMs(page: Page): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    times.push(await page.evaluate(async () => {
      const t = performance.now();
      await (await fetch(`/app.css?${Math.random()}`, { cache: "no-store" })).text();
      return performance.now() - t;
    }));
  }
  return median(times);
}

async function login(page: Page, server: UiServer) {
  await page.goto(server.url);
}

async function runsPageBench(page: Page) {
  const store = await buildRunsStore();
  const server = await startUi(store.dir);
  try {
    await login(page, server);
    // The moment rows are first in the page, taken in the page (a frame after they were added), not by polling from here.
    await page.addInitScript(() => {
      const w = window as unknown as { __rowsPainted?: number };
      const mo = new MutationObserver(() => {
        if (w.__rowsPainted === undefined && document.querySelector(".rt-row[data-run]")) {
          mo.disconnect();
          requestAnimationFrame(() => { w.__rowsPainted = performance.now(); });
        }
      });
      mo.observe(document, { childList: true, subtree: true });
    });
    const cols = [...Array.from({ length: PARAMS }, (_, p) => `params.p${p}`), ...Array.from({ length: METRICS }, (_, m) => `metrics.m${m}`)];
    const q = new URLSearchParams({ view: "runs", experiment: store.experimentId });
    for (const c of cols) q.append("col", c);
    const url = `${server.base}/?${q}`;
    const measure = async () => {
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { __rowsPainted?: number }).__rowsPainted !== undefined, null, { timeout: 60_000 });
      const painted = await page.evaluate(() => (window as unknown as { __rowsPainted: number }).__rowsPainted);
      const request = await page.evaluate(() => performance.getEntriesByType("resource").find((e) => e.name.includes("/api/runs?"))!.startTime);
      await page.waitForFunction((n) => document.querySelector("[data-testid=run-count]")?.textContent === `${n.toLocaleString("en")} runs`, SIZES.runs, { timeout: 60_000 });
      const all = await page.evaluate(() => performance.now());
      const first = await page.evaluate(() => { const e = performance.getEntriesByType("resource").find((x) => x.name.includes("/api/runs?")) as PerformanceResourceTiming; return e.responseEnd - e.startTime; });
      return { paintedMs: painted - request, firstPageFetchMs: first, allRowsMs: all - request };
    };
    const cold = await measure();
    const warm = [await measure(), await measure(), await measure()];
    // scrolling: a wheel's worth (3 rows) per frame, and jumps of a sixtieth of the table (the scrollbar dragged)
    const scroll = await page.evaluate(async () => {
      const box = document.querySelector(".runs-table") as HTMLElement;
      const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const time = async (by: number, n: number) => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          box.scrollTop += by;
          await frame();
          out.push(performance.now() - t);
        }
        return out.sort((a, b) => a - b);
      };
      const idle: number[] = [];
      for (let i = 0; i < 20; i++) { const t = performance.now(); await frame(); idle.push(performance.now() - t); }
      const wheel = await time(90, 60);
      const jump = await time(box.scrollHeight / 60, 20);
      return { idleDoubleFrameMs: idle.sort((a, b) => a - b)[10]!, wheelMedianMs: wheel[30]!, wheelP95Ms: wheel[56]!, jumpMedianMs: jump[10]! };
    });
    const rows = await page.locator(".rt-row[data-run]").count();
    return { runs: SIZES.runs, columns: cols.length, events: store.events, cold, warmPaintedMs: median(warm.map((w) => w.paintedMs)), warmFirstPageFetchMs: median(warm.map((w) => w.firstPageFetchMs)), warmAllRowsMs: median(warm.map((w) => w.allRowsMs)), scroll, rowsInDom: rows };
  } finally {
    await server.stop();
    store.remove();
  }
}

async function chartBench(page: Page) {
  log(`chart: building ${SIZES.chartRuns} runs × ${SIZES.chartPoints.toLocaleString("en")} points`);
  const store = await buildChartStore();
  const server = await startUi(store.dir);
  try {
    await login(page, server);
    const q = new URLSearchParams({ view: "compare" });
    for (const id of store.runIds) q.append("run", id);
    const url = `${server.base}/?${q}`;
    const measure = async () => {
      await page.goto(url);
      await page.locator("table.compare").waitFor({ timeout: 120_000 });
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      const chart = page.locator('.metric-chart[data-metric="loss"] .chart-canvas[data-drawn]');
      await chart.waitFor({ timeout: 120_000 });
      return page.evaluate(() => {
        const entries = performance.getEntriesByType("resource").filter((e) => e.name.includes("/metrics/")) as PerformanceResourceTiming[];
        const start = Math.min(...entries.map((e) => e.startTime));
        const drawnAt = Number((document.querySelector(".chart-canvas[data-drawn]") as HTMLElement).dataset.drawnAt);
        const fetched = Math.max(...entries.map((e) => e.responseEnd));
        return { drawnMs: drawnAt - start, fetchMs: fetched - start, series: entries.length, maxBytesPerSeries: Math.max(...entries.map((e) => e.encodedBodySize)), points: Number((document.querySelector(".chart-canvas") as HTMLElement).dataset.points) };
      });
    };
    const cold = await measure();
    const warm = [await measure(), await measure(), await measure()];
    return { runs: SIZES.chartRuns, pointsPerRun: SIZES.chartPoints, events: store.events, cold, warmDrawnMs: median(warm.map((w) => w.drawnMs)), warmFetchMs: median(warm.map((w) => w.fetchMs)), series: warm[0]!.series, maxKBPerSeries: round(warm[0]!.maxBytesPerSeries / 1024, 1), alignedPoints: warm[0]!.points };
  } finally {
    await server.stop();
    store.remove();
  }
}

async function liveBench(page: Page) {
  const s = tempStore("ui-live");
  const server = await startUi(s.dir);
  const script = `import { RuneLog } from ${JSON.stringify(resolve("dist", "src", "index.js"))};
import { createInterface } from "node:readline";
const t = new RuneLog(${JSON.stringify(s.dir)});
const run = await t.startRun({ experimentName: "live", logGitMeta: false, logCode: false });
await run.logMetric("loss", 1, { step: 0 });
console.log(run.runId);
let step = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "end") { await run.end(); break; }
  step++;
  await run.logMetric("loss", 1 / (step + 1), { step });
  console.log(Date.now());
}`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script]);
  const lines: string[] = [];
  let buf = "";
  child.stdout.on("data", (b: Buffer) => { buf += b; const parts = buf.split("\n"); buf = parts.pop()!; lines.push(...parts); });
  const next = async () => { const n = lines.length; while (lines.length === n) await new Promise((r) => setTimeout(r, 5)); return lines[n]!; };
  try {
    const runId = await next();
    await login(page, server);
    await page.goto(`${server.base}/?view=run&run=${runId}&smooth=0`);
    await page.locator(".chart-canvas[data-points='1']").waitFor({ timeout: 30_000 });
    const latencies: number[] = [];
    for (let i = 1; i <= 7; i++) {
      await page.evaluate(() => {
        const el = document.querySelector(".chart-canvas") as HTMLElement & { __seen?: number };
        const mo = new MutationObserver(() => { (window as unknown as { __pointAt: number }).__pointAt = Date.now(); mo.disconnect(); });
        mo.observe(el, { attributes: true, attributeFilter: ["data-points"] });
      });
      child.stdin.write("log\n");
      const loggedAt = Number(await next());
      await page.locator(`.chart-canvas[data-points='${i + 1}']`).waitFor({ timeout: 10_000 });
      const shownAt = await page.evaluate(() => (window as unknown as { __pointAt: number }).__pointAt);
      latencies.push(shownAt - loggedAt);
      await new Promise((r) => setTimeout(r, 300));
    }
    child.stdin.write("end\n");
    return { samples: latencies, medianMs: median(latencies), maxMs: Math.max(...latencies) };
  } finally {
    child.stdin.end();
    await server.stop();
    s.remove();
  }
}

async function asOfBench(page: Page) {
  const store = await buildAsOfStore();
  const server = await startUi(store.dir);
  try {
    await login(page, server);
    await page.goto(`${server.base}/?view=runs&experiment=${store.experimentId}`);
    await page.locator(".rt-row[data-run]").first().waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: /as of/ }).click();
    await page.locator(".asof-slider").waitFor();
    const times: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const at = Math.round(store.first + ((store.last - store.first) * i) / 8);
      const iso = new Date(at).toISOString();
      const answered = page.waitForResponse((r) => r.url().includes("/api/runs?") && r.url().includes(`asOf=${encodeURIComponent(iso)}`), { timeout: 60_000 });
      const t0 = await page.evaluate((v) => {
        const el = document.querySelector(".asof-slider") as HTMLInputElement;
        el.max = String(Math.max(Number(el.max), v));
        el.min = String(Math.min(Number(el.min), v));
        const t = performance.now();
        el.value = String(v);
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
        return t;
      }, at);
      await answered;
      const t1 = await page.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
      times.push(t1 - t0);
    }
    return { events: store.events, firstMs: times[0], laterMs: times.slice(1), laterMedianMs: median(times.slice(1)), laterMaxMs: Math.max(...times.slice(1)) };
  } finally {
    await server.stop();
    store.remove();
  }
}

/** A part that fails (a timeout on a loaded machine) is reported as such; the others still run. */
async function attempt<T>(f: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await f();
  } catch (e) {
    log(`failed: ${(e as Error).message.split("\n")[0]}`);
    return { error: (e as Error).message.split("\n")[0]! };
  }
}

async function main() {
  const missing = chromiumMissing();
  if (missing) {
    console.log(JSON.stringify({ bench: "ui-browser", skipped: missing }));
    return;
  }
  const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const want = (name: string) => only.length === 0 || only.includes(name);
  const t0 = now();
  const load = loadavg().map((x) => round(x, 1));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Loading a big store the first time can keep the server busy for a long while on a loaded machine.
    page.setDefaultNavigationTimeout(300_000);
    page.setDefaultTimeout(300_000);
    const raw = await (async () => { const s = tempStore("ui-raw"); const server = await startUi(s.dir); try { await login(page, server); return await rawFetchMs(page); } finally { await server.stop(); s.remove(); } })();
    log("runs page");
    const runsPage = want("runs") ? await attempt(() => runsPageBench(page)) : null;
    log("chart");
    const chart = want("chart") ? await attempt(() => chartBench(page)) : null;
    log("live");
    const live = want("live") ? await attempt(() => liveBench(page)) : null;
    log("as of");
    const asOf = want("asof") ? await attempt(() => asOfBench(page)) : null;
    const r = (x: number) => round(x, 1);
    const checks = [
      runsPage && !("error" in runsPage) && { what: `runs page ${runsPage.runs} runs × ${runsPage.columns} columns: request → painted (warm)`, measured: `${r(runsPage.warmPaintedMs)} ms`, target: "≤ 1000 ms", pass: runsPage.warmPaintedMs <= 1000 },
      chart && !("error" in chart) && { what: `chart ${chart.runs} × ${chart.pointsPerRun} points: request → drawn (warm)`, measured: `${r(chart.warmDrawnMs)} ms`, target: "≤ 500 ms", pass: chart.warmDrawnMs <= 500 },
      chart && !("error" in chart) && { what: "chart bytes per series", measured: `${chart.maxKBPerSeries} KB`, target: "≤ 100 KB", pass: chart.maxKBPerSeries <= 100 },
      live && !("error" in live) && { what: "logMetric in another process → on screen (median)", measured: `${r(live.medianMs)} ms`, target: "≤ 1000 ms", pass: live.medianMs <= 1000 },
      asOf && !("error" in asOf) && { what: `as-of slider on ${asOf.events} events, after the first (median)`, measured: `${r(asOf.laterMedianMs)} ms`, target: "≤ 500 ms", pass: asOf.laterMedianMs <= 500 },
    ].filter(Boolean);
    console.log(JSON.stringify({ bench: "ui-browser", quick: QUICK, machine: { ...machine(), loadAverageAtStart: load }, durationMs: r(now() - t0), raw: { staticFetchMs: r(raw) }, runsPage, chart, live, asOf, checks }, null, 1));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
