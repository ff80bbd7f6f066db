import { RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";

test("a run logged through the callback form reads back with its params, metrics and status", async () => {
  const dir = tempDir();
  try {
    const tracker = new RuneLog(dir);
    const runId = await tracker.startRun({ experimentName: "smoke", logCode: false, logGitMeta: false }, async (run) => {
      await tracker.logParam("lr", 0.1);
      await run.logMetric("loss", 0.5, { step: 1 });
      return run.runId;
    });
    const run = await tracker.getRun(runId);
    expect(run).toMatchObject({ status: "FINISHED", params: { lr: 0.1 }, metrics: { loss: 0.5 } });
    const table = await tracker.loadResults("smoke");
    expect(table.numRows()).toBe(1);
    expect(table.columnNames()).toEqual(["runId", "experimentId", "status", "startTime", "endTime", "params.lr", "metrics.loss"]);
  } finally {
    removeDir(dir);
  }
});
