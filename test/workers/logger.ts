/**
 * node logger.js <storeDir> <experimentName> <count> <label>
 * Starts a run in the experiment and logs metric "m" with values and steps 0..count-1, mixing
 * unawaited batches (group commit) with awaited singles, plus a param and a tag; ends the run.
 * Prints {"runId","experimentId","label"}.
 */
import { RuneLog } from "../../src/index.js";
import { argv, emit, main, waitForGo } from "./common.js";

main(async () => {
  const dir = argv(0, "storeDir");
  const experimentName = argv(1, "experimentName");
  const count = Number(argv(2, "count"));
  const label = argv(3, "label");
  await waitForGo();
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName, logCode: false, logGitMeta: false, tags: { worker: label } });
  await run.logParam("label", label);
  // A deterministic mix per worker: batch sizes 1..17 unawaited, then one awaited single.
  let seed = [...label].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  let i = 0;
  while (i < count) {
    const batch: Promise<void>[] = [];
    for (let k = rand(17) + 1; k > 0 && i < count; k--, i++) batch.push(run.logMetric("m", i, { step: i }));
    await Promise.all(batch);
    if (i < count) {
      await run.logMetric("m", i, { step: i });
      i++;
    }
  }
  await run.setTags({ done: "yes" });
  await run.end();
  emit({ runId: run.runId, experimentId: run.experimentId, label });
});
