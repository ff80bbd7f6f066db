/**
 * ui-server: the server's side of the UI's speed table, over a real socket (startUiServer on a free
 * port, fetch as the page does).
 * - metrics: 10 runs × 100,000 points of one metric; the 10 chart requests at once (bucketed to 1000),
 *   bytes sent per series; beside it the raw limit, getMetricHistory of the same 10 series in-process.
 * - runs: 10,000 runs × 20 columns (10 params, 10 metrics); the first page (100) and every run in one
 *   answer; beside it searchRuns in-process.
 * - asOf: the runs page of the same store (110,000 events) at new event ids (each a view folded once),
 *   then at one seen before (cached).
 */
import { newId } from "../src/events.js";
import { RuneLog } from "../src/index.js";
import { seededRandom } from "../src/random.js";
import { startUiServer } from "../src/ui/server/serve.js";
import { type BenchResult, type Check, JournalBuilder, log, machine, median, mb, now, QUICK, round, storeWithExperiment, tempStore } from "./lib.js";

const SERIES = 10;
const POINTS = QUICK ? 10_000 : 100_000;
const RUNS = QUICK ? 1_000 : 10_000;
const REPEATS = 5;
const TOKEN = "bench";

export async function uiServerBench(): Promise<BenchResult> {
  const t0 = now();
  const startedAt = new Date().toISOString();
  const metricStore = tempStore("ui-metrics");
  const runStore = tempStore("ui-runs");
  try {
    log(`ui-server: writing ${SERIES} runs × ${POINTS.toLocaleString("en")} points, and ${RUNS.toLocaleString("en")} runs × 20 columns`);
    const seriesRuns = await buildSeries(metricStore.dir);
    const { eventIds } = await buildRuns(runStore.dir);
    const metrics = await metricsPart(metricStore.dir, seriesRuns);
    const runs = await runsPart(runStore.dir, eventIds);
    const data = { series: SERIES, points: POINTS, runs: RUNS, metrics, runsRoute: runs };
    const checks: Check[] = [
      { bench: "ui-server", what: `${SERIES} metric series × ${POINTS.toLocaleString("en")} points, fetched at once (warm, median of ${REPEATS})`, measured: `${metrics.warmAllMs} ms (getMetricHistory of the same: ${metrics.rawAllMs} ms → ${metrics.ratioToRaw} × raw)`, target: "≤ 500 ms to drawn (server part)", pass: metrics.warmAllMs <= 500 },
      { bench: "ui-server", what: "bytes sent per series (1000 buckets, x=step | x=time)", measured: `${metrics.maxKBPerSeries.step} KB | ${metrics.maxKBPerSeries.time} KB`, target: "≤ 100 KB", pass: Math.max(metrics.maxKBPerSeries.step, metrics.maxKBPerSeries.time) <= 100 },
      { bench: "ui-server", what: "metric series, first request (cold fold of a 100k-point run)", measured: `${metrics.coldFirstMs} ms`, target: "(info)", pass: true },
      { bench: "ui-server", what: `/api/runs, ${RUNS.toLocaleString("en")} runs × 20 columns, first page of 100 (warm)`, measured: `${runs.firstPageMs} ms (searchRuns: ${runs.rawSearchMs} ms)`, target: "(info)", pass: true },
      { bench: "ui-server", what: `/api/runs, all ${RUNS.toLocaleString("en")} runs in one answer (warm)`, measured: `${runs.allMs} ms, ${runs.allMB} MB (searchRuns: ${runs.rawSearchMs} ms → ${runs.ratioToRaw} × raw)`, target: "≤ 1 s to painted (server part)", pass: runs.allMs <= 1000 },
      { bench: "ui-server", what: `/api/runs?asOf=<a new event id> on a ${runs.storeEvents.toLocaleString("en")}-event store (median of 5 instants)`, measured: `${runs.asOfNewMs} ms`, target: "≤ 500 ms (server part)", pass: runs.asOfNewMs <= 500 },
      { bench: "ui-server", what: "/api/runs?asOf=<an instant seen before> (cached view)", measured: `${runs.asOfCachedMs} ms`, target: "(info)", pass: true },
    ];
    return { bench: "ui-server", quick: QUICK, machine: machine(), startedAt, durationMs: Math.round(now() - t0), data, checks };
  } finally {
    metricStore.remove();
    runStore.remove();
  }
}

async function buildSeries(dir: string): Promise<string[]> {
  const { experimentId, file } = await storeWithExperiment(dir, "curves");
  const b = new JournalBuilder(file);
  const random = seededRandom(11);
  const runIds = Array.from({ length: SERIES }, () => newId());
  for (const runId of runIds) b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: {}, git: null, env: null });
  for (let step = 0; step < POINTS; step++) {
    for (const runId of runIds) b.add("MetricsLogged", { runId, metrics: { loss: 1 / (1 + step / 1000) + random() * 0.05 }, step, timestamp: b.time });
  }
  for (const runId of runIds) b.add("RunEnded", { runId, status: "FINISHED" });
  b.close();
  return runIds;
}

async function buildRuns(dir: string): Promise<{ eventIds: string[] }> {
  const { experimentId, file } = await storeWithExperiment(dir, "table");
  // Events after the catalogue's (a view of the past must see the experiment), one ms apart.
  const b = new JournalBuilder(file, Date.now() + 1);
  const random = seededRandom(7);
  for (let r = 0; r < RUNS; r++) {
    const runId = newId();
    b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: {}, git: null, env: null });
    const params: Record<string, unknown> = {};
    for (let k = 0; k < 10; k++) params[`p${k}`] = k % 3 === 0 ? `choice-${Math.floor(random() * 5)}` : round(random() * 100, 4);
    b.add("ParamsLogged", { runId, params });
    // 8 steps of the 10 metrics: 11 events a run, so 10,000 runs make the 100k-event store of the slider's target.
    for (let step = 0; step < 8; step++) {
      const metrics: Record<string, number> = {};
      for (let k = 0; k < 10; k++) metrics[`m${k}`] = random();
      b.add("MetricsLogged", { runId, metrics, step, timestamp: b.time });
    }
    b.add("RunEnded", { runId, status: "FINISHED" });
  }
  b.close();
  const eventIds: string[] = [];
  for await (const e of new RuneLog(dir).events({ experiment: experimentId })) eventIds.push(e.id);
  return { eventIds };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = now();
  const value = await fn();
  return { ms: now() - t, value };
}

async function metricsPart(dir: string, runIds: string[]) {
  const server = await startUiServer({ tracker: new RuneLog(dir), port: 0, token: TOKEN });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const fetchAll = (x: string) =>
      Promise.all(runIds.map(async (id) => (await get(`${base}/api/runs/${id}/metrics/loss?x=${x}&buckets=1000`)).length));
    const cold = await timed(() => get(`${base}/api/runs/${runIds[0]}/metrics/loss`));
    await fetchAll("step");
    const warm: number[] = [];
    let bytesStep: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const r = await timed(() => fetchAll("step"));
      warm.push(r.ms);
      bytesStep = r.value;
    }
    const bytesTime = await fetchAll("time");
    const raw = new RuneLog(dir);
    for (const id of runIds) await raw.getMetricHistory(id, "loss");
    const rawMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) rawMs.push((await timed(() => Promise.all(runIds.map((id) => raw.getMetricHistory(id, "loss"))))).ms);
    const warmAllMs = round(median(warm), 1);
    const rawAllMs = round(median(rawMs), 1);
    return {
      coldFirstMs: round(cold.ms, 0),
      warmAllMs,
      warmSamplesMs: warm.map((x) => round(x, 1)),
      rawAllMs,
      ratioToRaw: round(warmAllMs / rawAllMs, 2),
      maxKBPerSeries: { step: round(Math.max(...bytesStep) / 1024, 1), time: round(Math.max(...bytesTime) / 1024, 1) },
    };
  } finally {
    await server.close();
  }
}

async function runsPart(dir: string, eventIds: string[]) {
  const server = await startUiServer({ tracker: new RuneLog(dir), port: 0, token: TOKEN });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    await get(`${base}/api/runs?experiment=table`); // cold fold
    const first: number[] = [];
    const all: number[] = [];
    let allBytes = 0;
    for (let i = 0; i < REPEATS; i++) {
      first.push((await timed(() => get(`${base}/api/runs?experiment=table&limit=100`))).ms);
      const r = await timed(() => get(`${base}/api/runs?experiment=table&limit=${RUNS}`));
      all.push(r.ms);
      allBytes = r.value.length;
    }
    const raw = new RuneLog(dir);
    await raw.searchRuns({ experiments: ["table"] });
    const rawMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) rawMs.push((await timed(() => raw.searchRuns({ experiments: ["table"] }))).ms);
    // A slider dragged over the timeline: each instant new (a view folded once), then back to one already seen.
    const instants = [0.5, 0.6, 0.7, 0.8, 0.9].map((f) => eventIds[Math.floor(eventIds.length * f)]!);
    const asOfNew: number[] = [];
    for (const cut of instants) asOfNew.push((await timed(() => get(`${base}/api/runs?experiment=table&limit=100&asOf=${cut}`))).ms);
    const asOfCached = await timed(() => get(`${base}/api/runs?experiment=table&limit=100&asOf=${instants[0]}`));
    const allMs = round(median(all), 1);
    const rawSearchMs = round(median(rawMs), 1);
    return {
      firstPageMs: round(median(first), 1),
      allMs,
      allMB: mb(allBytes),
      rawSearchMs,
      ratioToRaw: round(allMs / rawSearchMs, 2),
      asOfNewMs: round(median(asOfNew), 1),
      asOfNewSamplesMs: asOfNew.map((x) => round(x, 1)),
      asOfCachedMs: round(asOfCached.ms, 1),
      storeEvents: eventIds.length,
    };
  } finally {
    await server.close();
  }
}

async function get(url: string): Promise<Buffer> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } }).catch((err: Error) => {
    throw new Error(`${url}: ${err.message} (${String((err as { cause?: unknown }).cause)})`);
  });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.toString("utf8").slice(0, 300)}`);
  return body;
}
