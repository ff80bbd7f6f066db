/**
 * search: searchRuns over 100,000 runs in one experiment (10 params + 10 metrics + a tag each) with a
 * three-clause filter and an orderBy, in a fresh process: cold, then warm (median); beside it, in the
 * same process, a hand-written JavaScript filter + sort over the same runs as plain objects (the limit).
 */
import { newId } from "../src/events.js";
import { seededRandom } from "../src/random.js";
import { type BenchResult, type Check, JournalBuilder, log, machine, median, mb, now, QUICK, round, runChild, storeWithExperiment, tempStore } from "./lib.js";

export async function searchBench(): Promise<BenchResult> {
  const t0 = now();
  const startedAt = new Date().toISOString();
  const runs = QUICK ? 10_000 : 100_000;
  const repeats = QUICK ? 5 : 9;
  const { dir, remove } = tempStore("search");
  try {
    log(`search: writing ${runs.toLocaleString("en")} runs × (10 params + 10 metrics + 1 tag)`);
    const { experimentId, file } = await storeWithExperiment(dir, "search");
    const b = new JournalBuilder(file);
    const random = seededRandom(11);
    for (let r = 0; r < runs; r++) {
      const runId = newId();
      b.add("RunStarted", { runId, experimentId, parentRunId: null, pid: 4_000_000, host: "bench-host", tags: { stage: random() < 0.5 ? "final" : "draft" }, git: null, env: null });
      const params: Record<string, unknown> = {};
      for (let k = 0; k < 10; k++) params[`p${k}`] = k % 3 === 0 ? `choice-${Math.floor(random() * 5)}` : round(random() * 100, 4);
      b.add("ParamsLogged", { runId, params });
      const metrics: Record<string, number> = {};
      for (let k = 0; k < 10; k++) metrics[`m${k}`] = random();
      b.add("MetricsLogged", { runId, metrics, step: 0, timestamp: b.time });
      b.add("RunEnded", { runId, status: "FINISHED" });
    }
    b.close();
    log("search: searchRuns cold, then warm beside a hand-written filter + sort, in a fresh process");
    const a = await runChild<{ coldMs: number; oursMs: number[]; rawMs: number[]; top10Ms: number[]; runs: number; matched: number; maxRssBytes: number }>("search-child.js", { store: dir, experimentId, repeats });
    if (a.runs !== runs) throw new Error(`expected ${runs} runs, the store has ${a.runs}`);
    const warm = median(a.oursMs);
    const raw = median(a.rawMs);
    const top10 = median(a.top10Ms);
    const ratio = warm / raw;
    const data = {
      runs, events: b.events, journalMB: mb(b.bytes), matched: a.matched,
      filter: "metrics.m0 > 0.5 and params.p1 < 50 and params.p0 = 'choice-1'", orderBy: ["metrics.m1 DESC"],
      coldMs: round(a.coldMs), warmMs: { median: round(warm), samples: a.oursMs.map((x) => round(x)) },
      maxResults10Ms: { median: round(top10), samples: a.top10Ms.map((x) => round(x)) },
      raw: { handWrittenFilterSortMs: { median: round(raw, 3), samples: a.rawMs.map((x) => round(x, 3)) } },
      ratioWarmToHandWritten: round(ratio, 3),
      peakRssMB: mb(a.maxRssBytes),
    };
    const checks: Check[] = [
      { bench: "search", what: `searchRuns ${runs.toLocaleString("en")} runs, 3-clause filter + orderBy, warm (median of ${repeats})`, measured: `${warm.toFixed(1)} ms (${a.matched.toLocaleString("en")} matched)`, target: "≤ 100 ms", pass: warm <= 100 },
      { bench: "search", what: "searchRuns warm ÷ hand-written JS filter + sort, same runs, same process", measured: `${ratio.toFixed(2)} × (hand-written ${raw.toFixed(1)} ms)`, target: "≤ 2 ×", pass: ratio <= 2 },
      { bench: "search", what: "searchRuns with maxResults 10, warm", measured: `${top10.toFixed(1)} ms`, target: "(info)", pass: true },
      { bench: "search", what: "searchRuns cold (open + fold + search)", measured: `${a.coldMs.toFixed(0)} ms`, target: "(info)", pass: true },
    ];
    return { bench: "search", quick: QUICK, machine: machine(), startedAt, durationMs: Math.round(now() - t0), data, checks };
  } finally {
    remove();
  }
}
