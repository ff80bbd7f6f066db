/**
 * node crasher.js <storeDir> <experimentName>
 * Starts a run and logs metric "m" = 0, 1, 2 … forever, each awaited, printing {"acked":i} after
 * each call resolved. The test SIGKILLs it; every acked value must survive.
 */
import { RuneLog } from "../../src/index.js";
import { argv, emit, main, waitForGo } from "./common.js";

main(async () => {
  const dir = argv(0, "storeDir");
  const experimentName = argv(1, "experimentName");
  await waitForGo();
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName, logCode: false, logGitMeta: false });
  emit({ runId: run.runId, experimentId: run.experimentId });
  for (let i = 0; ; i++) {
    // Two unawaited (one group-committed batch) then report the acks.
    await Promise.all([run.logMetric("m", 2 * i, { step: 2 * i }), run.logMetric("m", 2 * i + 1, { step: 2 * i + 1 })]);
    emit({ acked: 2 * i + 1 });
  }
});
