/**
 * results: loadResults on an experiment of 10,000 finished runs × (10 params + 10 metrics), in a
 * fresh process: cold (open + fold + table) and warm (the same call again). The limits beside it,
 * on a table of the same shape: aq.from of flat row objects, and aq.table of prebuilt columns.
 */
import { seededRandom } from "../src/random.js";
import { newId } from "../src/events.js";
import { type BenchResult, type Check, JournalBuilder, log, machine, median, mb, now, QUICK, round, runChild, sizes, storeWithExperiment, tempStore } from "./lib.js";

export async function resultsBench(): Promise<BenchResult> {
  const t0 = now();
  const startedAt = new Date().toISOString();
  const runs = sizes.resultsRuns;
  const { dir, remove } = tempStore("results");
  try {
    log(`results: writing ${runs.toLocaleString("en")} runs × (10 params + 10 metrics)`);
    const { experimentId, file } = await storeWithExperiment(dir, "results");
    const b = new JournalBuilder(file);
    const random = seededRandom(7);
    for (let r = 0; r < runs; r++) {
      const runId = newId();
      b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: {}, git: null, env: null });
      const params: Record<string, unknown> = {};
      for (let k = 0; k < 10; k++) params[`p${k}`] = k % 3 === 0 ? `choice-${Math.floor(random() * 5)}` : round(random() * 100, 4);
      b.add("ParamsLogged", { runId, params });
      const metrics: Record<string, number> = {};
      for (let k = 0; k < 10; k++) metrics[`m${k}`] = random();
      b.add("MetricsLogged", { runId, metrics, step: 0, timestamp: b.time });
      b.add("RunEnded", { runId, status: "FINISHED" });
    }
    b.close();
    log("results: loadResults cold and warm in a fresh process");
    const answer = await runChild<{
      coldMs: number; warmMs: number[]; rows: number; columns: number; rawFromObjectsMs: number; rawTableFromColumnsMs: number;
      after: { maxRssBytes: number };
    }>("child.js", { mode: "results", store: dir, experimentId, warmRepeats: sizes.resultsWarmRepeats, runs });
    const firstWarm = answer.warmMs[0]!;
    const warmMedian = median(answer.warmMs);
    const data = {
      runs, events: b.events, journalMB: mb(b.bytes), rows: answer.rows, columns: answer.columns,
      coldMs: round(answer.coldMs), warmMs: { first: round(firstWarm), median: round(warmMedian), samples: answer.warmMs.map((x) => round(x)) },
      raw: { aqFromObjectsMs: round(answer.rawFromObjectsMs), aqTableFromColumnsMs: round(answer.rawTableFromColumnsMs, 3) },
      ratioWarmToAqFrom: round(answer.rawFromObjectsMs / warmMedian, 3),
      peakRssMB: mb(answer.after.maxRssBytes),
    };
    const checks: Check[] = [
      { bench: "results", what: `loadResults ${runs.toLocaleString("en")} runs, warm (median of ${answer.warmMs.length})`, measured: `${warmMedian.toFixed(1)} ms (aq.from same rows: ${data.raw.aqFromObjectsMs.toFixed(1)} ms → ${data.ratioWarmToAqFrom.toFixed(2)} × raw)`, target: "≤ 300 ms", pass: warmMedian <= 300 },
      { bench: "results", what: "loadResults cold (open + fold + table)", measured: `${answer.coldMs.toFixed(0)} ms`, target: "(info)", pass: true },
    ];
    return { bench: "results", quick: QUICK, machine: machine(), startedAt, durationMs: Math.round(now() - t0), data, checks };
  } finally {
    remove();
  }
}
