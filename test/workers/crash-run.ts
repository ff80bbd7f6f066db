/**
 * node crash-run.js <storeDir> <experimentName>
 *
 * Starts a run with an explicit handle (never ended), logs one metric, prints
 * {"runId","experimentId","pid"} once both resolved, and then stays alive until the test kills it.
 */
import { RuneLog } from "../../src/index.js";

const [dir, experimentName] = process.argv.slice(2);
if (!dir || !experimentName) {
  process.stderr.write("usage: crash-run <storeDir> <experimentName>\n");
  process.exit(2);
}

async function main(): Promise<void> {
  const tracker = new RuneLog(dir!);
  const run = await tracker.startRun({ experimentName, logCode: false, logGitMeta: false });
  await run.logMetric("loss", 0.5, { step: 1 });
  process.stdout.write(JSON.stringify({ runId: run.runId, experimentId: run.experimentId, pid: process.pid }) + "\n");
  setInterval(() => {}, 1 << 30); // a long training job, until it is killed
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
