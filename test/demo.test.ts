/** Runs the built demo (`tsc` first, as `npm test` does) in a fresh directory with the quick grid, then reads its store back. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";

const DEMO = resolve(__dirname, "..", "dist", "examples", "demo.js");
const QUICK_GRID_TRIALS = 4;

test("the demo trains its grid in parallel workers, logs one experiment and registers the best model as @champion", async () => {
  expect(existsSync(DEMO)).toBe(true); // build first: npx tsc
  const dir = tempDir("runelog-demo-");
  try {
    const demo = spawnSync(process.execPath, [DEMO], { cwd: dir, env: { ...process.env, RUNELOG_DEMO_QUICK: "1" }, encoding: "utf8", timeout: 55_000 });
    expect(demo.stderr).toBe("");
    expect(demo.status).toBe(0);
    expect(demo.stdout).toContain(`This experiment now has ${QUICK_GRID_TRIALS} runs`);

    const tracker = new RuneLog(dir);
    const experimentId = await tracker.getOrCreateExperiment("logreg-demo");
    const runs = await tracker.getExperimentRuns(experimentId);
    expect(runs).toHaveLength(QUICK_GRID_TRIALS);
    expect(runs.every((r) => r.status === "FINISHED")).toBe(true);

    const versions = await tracker.getModelVersions("logreg-demo-classifier");
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: "1", aliases: ["champion"], artifactName: "model" });

    const results = await tracker.loadResults("logreg-demo", { sortBy: "metrics.val_accuracy", ascending: false });
    const bestRunId = results.get("runId", 0) as string;
    expect(versions[0]!.sourceRunId).toBe(bestRunId);

    const loggedModel = JSON.parse(gunzipSync(readFileSync(await tracker.getArtifactAbspath(bestRunId, "model"))).toString("utf8"));
    const champion = await tracker.loadRegisteredModel("logreg-demo-classifier", "@champion");
    expect(champion).toEqual(loggedModel);
    expect(loggedModel).toMatchObject({ features: ["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"], bias: expect.any(Number) });
    expect(loggedModel.weights).toHaveLength(8);

    expect(existsSync(join(dir, ".runelog", "experiments", `${experimentId}.ndjson`))).toBe(true);
  } finally {
    removeDir(dir);
  }
});
