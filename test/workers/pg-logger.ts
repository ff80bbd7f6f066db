/**
 * node pg-logger.js <url> <experimentName> <count> <label>
 * Logs metric "m" = 0 … count-1 into a run, two unawaited calls at a time, printing {"acked":i}
 * after each pair resolved, with a 60 s connect bound so it rides out a server restart. A call that
 * rejects is reported as {"rejected":i,"error":…} and logged again (a retry by the caller).
 */
import { RuneLog } from "../../src/index.js";
import { argv, emit, main, waitForGo } from "./common.js";

main(async () => {
  const url = argv(0, "url");
  const experimentName = argv(1, "experimentName");
  const count = Number(argv(2, "count"));
  const label = argv(3, "label");
  await waitForGo();
  const tracker = new RuneLog({ path: url, connectTimeoutMs: 60_000 });
  const run = await tracker.startRun({ experimentName, logCode: false, logGitMeta: false, tags: { worker: label } });
  emit({ runId: run.runId, experimentId: run.experimentId });
  for (let i = 0; i < count; i += 2) {
    for (;;) {
      try {
        await Promise.all([run.logMetric("m", i, { step: i }), run.logMetric("m", i + 1, { step: i + 1 })]);
        break;
      } catch (err) {
        emit({ rejected: i, error: (err as Error).message });
      }
    }
    emit({ acked: i + 1, at: Date.now() });
  }
  await run.end();
  emit({ done: true });
});
