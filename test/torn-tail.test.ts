/**
 * Crash shapes through the public API: the bytes a crash mid-append leaves at the end of a journal
 * (half a line, zeros from a pre-allocated block, garbage, a whole line missing only its newline)
 * are ignored by every read and cut off by the next append, whoever makes it; nothing before is lost.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";
import { checkRawJournal, runTogether } from "./workers/harness.js";

const EXP = "torn";

async function views(tracker: RuneLog, runIds: string[]) {
  const experiments = await tracker.listExperiments();
  const exp = experiments.find((e) => e.name === EXP)!;
  return {
    experiments,
    runs: await tracker.getExperimentRuns(exp.experimentId),
    details: await Promise.all(runIds.map((id) => tracker.getRunDetails(id))),
    results: (await tracker.loadResults(EXP)).objects(),
    summaries: await tracker.getExperimentSummaries(),
  };
}

/** A torn copy of a real line: what a crash halfway through writing `line` would leave. */
function halfOf(line: Buffer): Buffer {
  return line.subarray(0, Math.floor(line.length / 2));
}

type TailMaker = (lastLine: Buffer) => Buffer;
const TAILS: Array<[string, TailMaker]> = [
  ["half a line", (last) => halfOf(last)],
  ["zero bytes", () => Buffer.from([0, 0, 0])],
  ["garbage without a newline", () => Buffer.from("\u0007garbage{{ \"seq\":", "utf8")],
  // Everything but the newline: the write was cut short, its promise never resolved, so it is not an event.
  ["a whole line without its newline", (last) => last],
];

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-torn-");
});
afterEach(() => removeDir(dir));

async function seed(tracker: RuneLog) {
  const run = await tracker.startRun({ experimentName: EXP, logCode: false, logGitMeta: false, tags: { phase: "seed" } });
  await run.logParams({ lr: 0.1, layers: [64, 32] });
  await Promise.all([0, 1, 2, 3].map((i) => run.logMetric("loss", 1 / (i + 1), { step: i })));
  await run.logMetric("acc", NaN, { step: 0 });
  await run.setTags({ note: "before the crash" });
  return run;
}

describe.each(TAILS)("a torn tail in an experiment journal (%s)", (_label, makeTail) => {
  describe.each([["a new tracker instance"], ["the same tracker instance"]])("repaired by %s", (who) => {
    test("reads ignore it; the next append cuts it off, ends the file with a newline, keeps every earlier event and adds its own", async () => {
      const tracker = new RuneLog(dir);
      const run = await seed(tracker);
      const file = join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`);
      const before = checkRawJournal(file);
      expect(before.problems).toEqual([]);
      const seen = await views(tracker, [run.runId]);

      appendFileSync(file, makeTail(before.lines.at(-1)!));
      expect(readFileSync(file).length).toBeGreaterThan(before.lines.reduce((n, l) => n + l.length + 1, 0));

      // Every reader ignores the tail: the same instance, a fresh one, and one that skips damage.
      expect(await views(tracker, [run.runId])).toEqual(seen);
      expect(await views(new RuneLog(dir), [run.runId])).toEqual(seen);
      const skipping = new RuneLog({ path: dir, onCorrupt: "skip" });
      expect(await views(skipping, [run.runId])).toEqual(seen);

      let newRunId: string;
      if (who === "the same tracker instance") {
        await run.logMetric("after", 42, { step: 9 });
        await run.end();
        newRunId = run.runId;
      } else {
        const other = new RuneLog(dir);
        const next = await other.startRun({ experimentName: EXP, logCode: false, logGitMeta: false });
        await next.logMetric("after", 42, { step: 9 });
        await next.end("FAILED");
        newRunId = next.runId;
      }

      const bytes = readFileSync(file);
      expect(bytes.at(-1)).toBe(10);
      const after = checkRawJournal(file);
      expect(after.problems).toEqual([]);
      expect(after.tail.length).toBe(0);
      // Nothing earlier lost or changed: the old lines are a byte-exact prefix.
      expect(after.lines.slice(0, before.lines.length).map((l) => l.toString("base64"))).toEqual(before.lines.map((l) => l.toString("base64")));
      const added = after.events.slice(before.events.length);
      expect(added.some((e) => e.type === "MetricsLogged" && e.data.runId === newRunId && e.data.metrics.after === 42)).toBe(true);
      expect(added.at(-1)!.type).toBe("RunEnded");

      // Every reader (including the one that read past the tail before) sees old and new.
      for (const reader of [tracker, skipping, new RuneLog(dir)]) {
        const old = await reader.getRunDetails(run.runId);
        expect(old?.metricHistory.loss!.map((p) => p.value)).toEqual([1, 1 / 2, 1 / 3, 1 / 4]);
        expect(old?.params).toEqual({ lr: 0.1, layers: [64, 32] });
        expect(old?.tags).toEqual({ phase: "seed", note: "before the crash" });
        expect(old?.metrics.acc).toBeNaN();
        expect((await reader.getRun(newRunId))?.metrics).toMatchObject({ after: 42 });
        expect((await reader.getRun(newRunId))?.status).toBe(who === "the same tracker instance" ? "FINISHED" : "FAILED");
      }
    });
  });
});

test("a torn tail in the catalogue is ignored and repaired by the next getOrCreateExperiment", async () => {
  const tracker = new RuneLog(dir);
  const a = await tracker.getOrCreateExperiment("a");
  const file = join(dir, ".runelog", "catalog.ndjson");
  const before = checkRawJournal(file);
  appendFileSync(file, halfOf(before.lines.at(-1)!));
  const fresh = new RuneLog(dir);
  expect((await fresh.listExperiments()).map((e) => e.name)).toEqual(["Default", "a"]);
  expect(await fresh.getOrCreateExperiment("a")).toBe(a);
  const b = await fresh.getOrCreateExperiment("b");
  expect(b).not.toBe(a);
  const after = checkRawJournal(file);
  expect(after.problems).toEqual([]);
  expect(after.tail.length).toBe(0);
  expect(after.events.map((e) => e.data.name)).toEqual(["Default", "a", "b"]);
  expect((await tracker.listExperiments()).map((e) => e.name)).toEqual(["Default", "a", "b"]);
});

test("a torn tail in the registry is ignored and repaired by the next registerModel; versions stay gap-free", async () => {
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: EXP, logCode: false, logGitMeta: false });
  await run.logModel([1, 2], "m.json");
  expect(await tracker.registerModel(run.runId, "m.json", "net")).toBe("1");
  const file = join(dir, ".runelog", "registry.ndjson");
  appendFileSync(file, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]));
  expect((await new RuneLog(dir).getModelVersions("net")).map((v) => v.version)).toEqual(["1"]);
  expect(await tracker.registerModel(run.runId, "m.json", "net")).toBe("2");
  expect(await new RuneLog(dir).registerModel(run.runId, "m.json", "net")).toBe("3");
  const after = checkRawJournal(file);
  expect(after.problems).toEqual([]);
  expect(after.tail.length).toBe(0);
  expect(after.events.map((e) => e.data.version)).toEqual(["1", "2", "3"]);
});

test("a torn tail on a journal holding only torn bytes (a crash during the very first append) reads as empty and is replaced", async () => {
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: EXP, logCode: false, logGitMeta: false });
  // A second experiment whose journal only ever got half a first line.
  const id = await tracker.getOrCreateExperiment("empty-crash");
  const file = join(dir, ".runelog", "experiments", `${id}.ndjson`);
  const first = checkRawJournal(join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`)).lines[0]!;
  appendFileSync(file, halfOf(first));
  expect(await tracker.getExperimentRuns(id)).toEqual([]);
  expect((await tracker.loadResults(id)).numRows()).toBe(0);
  const r = await tracker.startRun({ experimentId: id, logCode: false, logGitMeta: false });
  await r.end();
  const after = checkRawJournal(file);
  expect(after.problems).toEqual([]);
  expect(after.tail.length).toBe(0);
  expect(after.events.map((e) => e.type)).toEqual(["RunStarted", "RunEnded"]);
  expect((await new RuneLog(dir).getExperimentRuns(id)).map((x) => x.runId)).toEqual([r.runId]);
});

test("a torn tail is repaired by the next append from another process (a writer with no memory of the file)", async () => {
  const tracker = new RuneLog(dir);
  const run = await seed(tracker);
  const file = join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`);
  const before = checkRawJournal(file);
  appendFileSync(file, halfOf(before.lines.at(-1)!));
  const [result] = await runTogether(resolve(__dirname, "..", "dist", "test", "workers", "logger.js"), [[dir, EXP, "20", "child"]]);
  const child = result!.messages.find((m) => m.runId);
  const after = checkRawJournal(file);
  expect(after.problems).toEqual([]);
  expect(after.tail.length).toBe(0);
  expect(after.lines.slice(0, before.lines.length).map(String)).toEqual(before.lines.map(String));
  expect((await tracker.getMetricHistory(child.runId, "m")).map((p) => p.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect((await tracker.getRun(run.runId))?.metrics).toMatchObject({ loss: 1 / 4 });
});
