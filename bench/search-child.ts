/**
 * The fresh process bench/search.ts times in: searchRuns cold (open + fold + search), then warm, and
 * in the same process the raw limit: a hand-written JavaScript filter + sort over the same runs as
 * plain Run objects (getRun's shape, built beforehand and not timed), alternating with ours.
 */
import { RuneLog, type Run } from "../src/index.js";
import { firstMessage, now, reply } from "./lib.js";

export const FILTER = "metrics.m0 > 0.5 and params.p1 < 50 and params.p0 = 'choice-1'";
export const ORDER_BY = ["metrics.m1 DESC"];

/** What a user would write by hand for FILTER and ORDER_BY (with the same tie-breaks). */
function handWritten(runs: readonly Run[]): Run[] {
  return runs
    .filter((r) => r.metrics.m0! > 0.5 && (r.params.p1 as number) < 50 && r.params.p0 === "choice-1")
    .sort((a, b) => b.metrics.m1! - a.metrics.m1! || (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : a.runId < b.runId ? -1 : 1));
}

async function main(): Promise<void> {
  const task = await firstMessage<{ store: string; experimentId: string; repeats: number }>();
  const tracker = new RuneLog(task.store);
  const options = { experiments: [task.experimentId], filter: FILTER, orderBy: ORDER_BY };
  let t0 = now();
  const first = await tracker.searchRuns(options);
  const coldMs = now() - t0;
  const all = await tracker.searchRuns({ experiments: [task.experimentId] }); // the same runs as plain objects, for the hand-written code
  const expected = handWritten(all).map((r) => r.runId);
  if (JSON.stringify(first.map((r) => r.runId)) !== JSON.stringify(expected)) throw new Error("searchRuns and the hand-written filter disagree");
  const oursMs: number[] = [];
  const rawMs: number[] = [];
  const onlyFilterMs: number[] = [];
  for (let i = 0; i < task.repeats; i++) {
    t0 = now();
    const ours = await tracker.searchRuns(options);
    oursMs.push(now() - t0);
    t0 = now();
    const raw = handWritten(all);
    rawMs.push(now() - t0);
    t0 = now();
    await tracker.searchRuns({ ...options, maxResults: 10 });
    onlyFilterMs.push(now() - t0);
    if (ours.length !== raw.length) throw new Error("result sizes differ");
  }
  await reply({ coldMs, oursMs, rawMs, top10Ms: onlyFilterMs, runs: all.length, matched: first.length, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
}

main().catch((err) => {
  process.stderr.write(`search child failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
