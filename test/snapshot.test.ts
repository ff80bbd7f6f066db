/**
 * Projection snapshots: a cold start loads one and folds only the rest; a snapshot that does not
 * match its journal is ignored; views are the same with and without one.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { RuneLog } from "../src/index.js";
import { SNAPSHOT_AFTER_EVENTS } from "../src/projector.js";
import { removeDir, tempDir } from "./helpers/store.js";

const QUIET = { logCode: false, logGitMeta: false };
jest.setTimeout(120_000);

/** Fills an experiment's journal past the snapshot threshold; returns the run ids. */
async function bigStore(dir: string, seed: number): Promise<string[]> {
  const tracker = new RuneLog(dir);
  const ids: string[] = [];
  for (let r = 0; r < 3; r++) {
    const run = await tracker.startRun({ experimentName: "big", ...QUIET, tags: { r: String(r) } });
    ids.push(run.runId);
    await run.logParams({ seed, r, note: "x".repeat(40) });
  }
  const runs = await Promise.all(ids.map((id) => tracker.resumeRun(id)));
  for (let step = 0; step < SNAPSHOT_AFTER_EVENTS * 1.2; step += 2000) {
    const writes: Promise<void>[] = [];
    for (let i = step; i < step + 2000; i++) writes.push(runs[i % 3]!.logMetric("loss", seed + 1 / (i + 1), { step: i }));
    await Promise.all(writes);
  }
  await Promise.all(runs.map((run) => run.end()));
  return ids;
}

function snapshotFiles(dir: string): string[] {
  const d = join(dir, ".runelog", "snapshots");
  return existsSync(d) ? readdirSync(d) : [];
}

async function views(tracker: RuneLog, ids: string[]) {
  return {
    runs: await tracker.getExperimentRuns("1"),
    details: await Promise.all(ids.map((id) => tracker.getRunDetails(id))),
    results: (await tracker.loadResults("big")).objects(),
  };
}

let a: string;
let b: string;
let idsA: string[];
let idsB: string[];

beforeAll(async () => {
  a = tempDir();
  b = tempDir();
  idsA = await bigStore(a, 1);
  idsB = await bigStore(b, 2);
});

afterAll(() => {
  removeDir(a);
  removeDir(b);
});

test("a cold read past the threshold writes a snapshot, and a later cold start answers the same from it", async () => {
  rmSync(join(a, ".runelog", "snapshots"), { recursive: true, force: true });
  const fresh = await views(new RuneLog(a), idsA);
  expect(snapshotFiles(a)).toEqual(["experiments-1.runs.snapshot"]);
  const fromSnapshot = await views(new RuneLog(a), idsA);
  expect(fromSnapshot).toEqual(fresh);
  expect(fresh.details[0]!.metricHistory.loss!.length).toBeGreaterThan(10_000);
});

test("events appended after the snapshot are folded on top of it", async () => {
  await new RuneLog(a).startRun({ experimentName: "big", ...QUIET }, async (run) => {
    await run.logMetric("late", 42, { step: 7 });
  });
  rmSync(join(a, ".runelog", "snapshots"), { recursive: true, force: true });
  await views(new RuneLog(a), idsA); // a new snapshot at the current end
  await new RuneLog(a).resumeRun(idsA[0]!, async (run) => run.logMetric("after", 1));
  const withSnapshot = new RuneLog(a);
  const run = await withSnapshot.getRun(idsA[0]!);
  expect(run!.metrics.after).toBe(1);
  expect((await withSnapshot.getExperimentRuns("1")).length).toBe(4);
});

test("a snapshot that does not match its journal is ignored, never trusted", async () => {
  const fromA = join(a, ".runelog", "snapshots", "experiments-1.runs.snapshot");
  await views(new RuneLog(a), idsA);
  expect(existsSync(fromA)).toBe(true);
  rmSync(join(b, ".runelog", "snapshots"), { recursive: true, force: true });
  const truth = await views(new RuneLog(b), idsB);
  // Put store A's snapshot where store B's belongs: B's line at that offset is not the one A recorded.
  mkdirSync(join(b, ".runelog", "snapshots"), { recursive: true });
  copyFileSync(fromA, join(b, ".runelog", "snapshots", "experiments-1.runs.snapshot"));
  const misled = await views(new RuneLog(b), idsB);
  expect(misled).toEqual(truth);
  expect(misled.details[0]!.params.seed).toBe(2);
});

test("a journal cut shorter than the snapshot's position makes the snapshot unusable", async () => {
  const dir = tempDir();
  try {
    const ids = await bigStore(dir, 3);
    await views(new RuneLog(dir), ids);
    expect(snapshotFiles(dir).length).toBe(1);
    const journal = join(dir, ".runelog", "experiments", "1.ndjson");
    truncateSync(journal, statSync(journal).size - 1000); // leaves a torn tail, which readers ignore
    const after = new RuneLog(dir);
    const history = (await after.getRunDetails(ids[0]!))!.metricHistory.loss!;
    const rebuilt = new RuneLog({ path: dir }).asOf(new Date()); // never uses snapshots
    expect(history).toEqual((await rebuilt.getRunDetails(ids[0]!))!.metricHistory.loss);
  } finally {
    removeDir(dir);
  }
});
