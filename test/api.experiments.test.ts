/** Experiments: the catalogue calls of API.md, their success paths and their errors. */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExperimentNotFound, getTracker, InvalidInput, RuneLog, RuneLogError } from "../src/index.js";
import { filesHolding, nextMillisecond, openStore, QUIET, type TestStore } from "./helpers/api.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let store: TestStore;
let tracker: RuneLog;
beforeEach(() => {
  store = openStore();
  tracker = store.tracker;
});
afterEach(() => store.done());

/** Starts and finishes one run in `experimentName`, returning its id. */
async function finishedRun(experimentName: string): Promise<string> {
  return tracker.startRun({ experimentName, ...QUIET }, async (run) => run.runId);
}

describe("opening a store", () => {
  test("new RuneLog({ path }) and new RuneLog(path) open the same store, under <path>/.runelog/", async () => {
    const id = await new RuneLog({ path: store.dir }).getOrCreateExperiment("opened");
    expect(await new RuneLog(store.dir).getOrCreateExperiment("opened")).toBe(id);
    expect(existsSync(join(store.dir, ".runelog"))).toBe(true);
  });

  test("getTracker(path) returns a tracker on that store, the same one for the same path", async () => {
    const t = getTracker(store.dir);
    expect(t).toBeInstanceOf(RuneLog);
    expect(getTracker(store.dir)).toBe(t);
    const id = await t.getOrCreateExperiment("via-getTracker");
    expect(await tracker.getExperiment(id)).toMatchObject({ name: "via-getTracker" });
  });
});

describe("getOrCreateExperiment", () => {
  test("returns the same id for the same name, and creates the experiment once", async () => {
    const a = await tracker.getOrCreateExperiment("mnist");
    const b = await tracker.getOrCreateExperiment("mnist");
    expect(b).toBe(a);
    expect(a).not.toBe("0");
    const names = (await tracker.listExperiments()).map((e) => e.name);
    expect(names.filter((n) => n === "mnist")).toHaveLength(1);
  });

  test("hands out different ids to different names", async () => {
    const a = await tracker.getOrCreateExperiment("a");
    const b = await tracker.getOrCreateExperiment("b");
    expect(a).not.toBe(b);
  });

  test("eight trackers racing on one name produce exactly one experiment, and all get its id", async () => {
    const trackers = Array.from({ length: 8 }, () => store.reopen());
    const ids = await Promise.all(trackers.map((t) => t.getOrCreateExperiment("race")));
    expect(new Set(ids).size).toBe(1);
    const live = (await store.reopen().listExperiments()).filter((e) => e.name === "race");
    expect(live).toHaveLength(1);
    expect(live[0]!.experimentId).toBe(ids[0]);
  });

  test("is seen by another tracker opened on the same folder", async () => {
    const id = await tracker.getOrCreateExperiment("shared");
    expect(await store.reopen().getOrCreateExperiment("shared")).toBe(id);
  });
});

describe("the Default experiment", () => {
  test('"0" named "Default" exists in a fresh store', async () => {
    const exp = await tracker.getExperiment("0");
    expect(exp).toMatchObject({ experimentId: "0", name: "Default" });
    expect(exp!.createdAt).toMatch(ISO);
    expect((await tracker.listExperiments())[0]).toMatchObject({ experimentId: "0", name: "Default" });
  });

  test("getOrCreateExperiment('Default') returns \"0\"", async () => {
    expect(await tracker.getOrCreateExperiment("Default")).toBe("0");
  });

  test("startRun without an experiment logs into \"0\"", async () => {
    const run = await tracker.startRun({ ...QUIET });
    await run.end();
    expect(run.experimentId).toBe("0");
    expect((await tracker.getExperimentRuns("0")).map((r) => r.runId)).toEqual([run.runId]);
  });

  test.each(["0", "Default"])("cannot be deleted (by %s) and still exists after the attempt", async (nameOrId) => {
    const err = await tracker.deleteExperiment(nameOrId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuneLogError);
    expect(await tracker.getExperiment("0")).toMatchObject({ experimentId: "0", name: "Default" });
  });
});

describe("getExperiment", () => {
  test("returns { experimentId, name, createdAt } with an ISO time", async () => {
    const id = await tracker.getOrCreateExperiment("cifar");
    const exp = await tracker.getExperiment(id);
    expect(exp).toEqual({ experimentId: id, name: "cifar", createdAt: expect.stringMatching(ISO) });
    expect(Number.isNaN(Date.parse(exp!.createdAt))).toBe(false);
  });

  test("returns null for an unknown id", async () => {
    expect(await tracker.getExperiment("999")).toBeNull();
  });

  test("looks up by id, not by name", async () => {
    await tracker.getOrCreateExperiment("by-name");
    expect(await tracker.getExperiment("by-name")).toBeNull();
  });
});

describe("listExperiments", () => {
  test("lists live experiments in creation order", async () => {
    const names = ["zeta", "alpha", "mid", "beta"];
    for (const n of names) await tracker.getOrCreateExperiment(n);
    const list = await tracker.listExperiments();
    expect(list.map((e) => e.name)).toEqual(["Default", ...names]);
    for (const e of list) expect(e).toEqual({ experimentId: expect.any(String), name: expect.any(String), createdAt: expect.stringMatching(ISO) });
  });

  test("creation order holds past ten experiments (ids compare as numbers, not strings)", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `e${i + 1}`);
    for (const n of names) await tracker.getOrCreateExperiment(n);
    expect((await tracker.listExperiments()).map((e) => e.name)).toEqual(["Default", ...names]);
  });
});

describe("getExperimentSummaries", () => {
  /** Experiments: b (2 runs), a (1 run), c (no runs), created in that order, each a millisecond apart. */
  async function seed(): Promise<Record<string, string>> {
    const ids: Record<string, string> = {};
    await tracker.getOrCreateExperiment("Default"); // the first write creates the store and Default (a read creates nothing)
    await nextMillisecond();
    ids.b = await tracker.getOrCreateExperiment("b");
    await nextMillisecond();
    ids.a = await tracker.getOrCreateExperiment("a");
    await nextMillisecond();
    ids.c = await tracker.getOrCreateExperiment("c");
    await nextMillisecond();
    await finishedRun("a");
    await nextMillisecond();
    await finishedRun("b");
    await nextMillisecond();
    await finishedRun("b");
    return ids;
  }

  test("adds numRuns and lastRun (the newest run's start time, or null)", async () => {
    const ids = await seed();
    const summaries = await tracker.getExperimentSummaries();
    const byName = Object.fromEntries(summaries.map((s) => [s.name, s]));
    expect(byName.b).toMatchObject({ experimentId: ids.b, numRuns: 2 });
    expect(byName.a).toMatchObject({ experimentId: ids.a, numRuns: 1 });
    expect(byName.c).toMatchObject({ experimentId: ids.c, numRuns: 0, lastRun: null });
    expect(byName.Default).toMatchObject({ experimentId: "0", numRuns: 0, lastRun: null });

    const bRuns = await tracker.getExperimentRuns(ids.b!);
    const newest = bRuns.map((r) => r.startTime).sort().at(-1);
    expect(byName.b!.lastRun).toBe(newest);
    expect(byName.b!.lastRun).toMatch(ISO);
    expect(byName.a!.lastRun! < byName.b!.lastRun!).toBe(true);
    for (const s of summaries) expect(s.createdAt).toMatch(ISO);
  });

  test("without sortBy, lists in creation order", async () => {
    await seed();
    expect((await tracker.getExperimentSummaries()).map((s) => s.name)).toEqual(["Default", "b", "a", "c"]);
  });

  test.each([
    ["name", true, ["Default", "a", "b", "c"]],
    ["name", false, ["c", "b", "a", "Default"]],
    ["numRuns", true, ["Default", "c", "a", "b"]],
    ["numRuns", false, ["b", "a", "Default", "c"]],
    ["lastRun", true, ["a", "b", "Default", "c"]],
    ["lastRun", false, ["b", "a", "Default", "c"]],
    ["createdAt", true, ["Default", "b", "a", "c"]],
    ["createdAt", false, ["c", "a", "b", "Default"]],
  ] as const)("sortBy %s ascending=%s", async (sortBy, ascending, expected) => {
    await seed();
    const names = (await tracker.getExperimentSummaries({ sortBy, ascending })).map((s) => s.name);
    expect(names).toEqual(expected);
  });

  test("ascending defaults to true", async () => {
    await seed();
    expect((await tracker.getExperimentSummaries({ sortBy: "name" })).map((s) => s.name)).toEqual(["Default", "a", "b", "c"]);
  });

  test("nulls sort last in both directions (lastRun of experiments without runs)", async () => {
    await seed();
    for (const ascending of [true, false]) {
      const lastRuns = (await tracker.getExperimentSummaries({ sortBy: "lastRun", ascending })).map((s) => s.lastRun);
      expect(lastRuns.slice(0, 2).every((v) => v !== null)).toBe(true);
      expect(lastRuns.slice(2)).toEqual([null, null]);
    }
  });

  test.each(["experimentId", "bogus", "NAME"])("an unknown sortBy %j throws InvalidInput naming sortBy", async (sortBy) => {
    const err = await tracker.getExperimentSummaries({ sortBy }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as Error).message).toContain("sortBy");
  });
});

describe("getExperimentRuns", () => {
  test("returns RunInfo rows { runId, experimentId, status, startTime, endTime }", async () => {
    const id = await tracker.getOrCreateExperiment("runs");
    const done = await finishedRun("runs");
    const open = await tracker.startRun({ experimentName: "runs", ...QUIET });
    const rows = await tracker.getExperimentRuns(id);
    expect(rows).toHaveLength(2);
    const byId = Object.fromEntries(rows.map((r) => [r.runId, r]));
    expect(byId[done]).toEqual({ runId: done, experimentId: id, status: "FINISHED", startTime: expect.stringMatching(ISO), endTime: expect.stringMatching(ISO) });
    expect(byId[open.runId]).toEqual({ runId: open.runId, experimentId: id, status: "RUNNING", startTime: expect.stringMatching(ISO), endTime: null });
    await open.end();
  });

  test("sorts by startTime ascending by default, descending on request, and by other keys", async () => {
    const id = await tracker.getOrCreateExperiment("sorted");
    const first = await finishedRun("sorted");
    await nextMillisecond();
    const second = await tracker.startRun({ experimentName: "sorted", ...QUIET });
    await second.end("FAILED");
    await nextMillisecond();
    const third = await finishedRun("sorted");

    expect((await tracker.getExperimentRuns(id)).map((r) => r.runId)).toEqual([first, second.runId, third]);
    expect((await tracker.getExperimentRuns(id, { ascending: false })).map((r) => r.runId)).toEqual([third, second.runId, first]);
    expect((await tracker.getExperimentRuns(id, { sortBy: "status" })).map((r) => r.status)).toEqual(["FAILED", "FINISHED", "FINISHED"]);
    expect((await tracker.getExperimentRuns(id, { sortBy: "status", ascending: false })).map((r) => r.status)).toEqual(["FINISHED", "FINISHED", "FAILED"]);
    expect((await tracker.getExperimentRuns(id, { sortBy: "runId" })).map((r) => r.runId)).toEqual([first, second.runId, third].sort());
  });

  test("an experiment without runs gives []", async () => {
    const id = await tracker.getOrCreateExperiment("empty");
    expect(await tracker.getExperimentRuns(id)).toEqual([]);
  });

  test("an unknown experiment id throws ExperimentNotFound", async () => {
    await expect(tracker.getExperimentRuns("42")).rejects.toBeInstanceOf(ExperimentNotFound);
  });

  test("an unknown sortBy throws InvalidInput", async () => {
    await expect(tracker.getExperimentRuns("0", { sortBy: "params.lr" })).rejects.toBeInstanceOf(InvalidInput);
  });
});

describe("deleteExperiment", () => {
  /** An experiment with two finished runs, one carrying a param, a metric and a file artifact. */
  async function seedDoomed(name = "doomed") {
    const id = await tracker.getOrCreateExperiment(name);
    const file = join(store.dir, "weights.bin");
    const bytes = `weights of ${name} ${Math.random()}`;
    writeFileSync(file, bytes);
    const withArtifact = await tracker.startRun({ experimentName: name, ...QUIET }, async (run) => {
      await run.logParam("lr", 0.1);
      await run.logMetric("loss", 0.5);
      await run.logArtifact(file);
      return run.runId;
    });
    const plain = await finishedRun(name);
    const link = await tracker.getArtifactAbspath(withArtifact, "weights.bin");
    return { id, withArtifact, plain, link, bytes };
  }

  test.each(["name", "id"] as const)("by %s: its runs vanish from every view", async (by) => {
    const keep = await finishedRun("keep");
    const d = await seedDoomed();
    await tracker.deleteExperiment(by === "name" ? "doomed" : d.id);

    for (const t of [tracker, store.reopen()]) {
      expect(await t.getExperiment(d.id)).toBeNull();
      expect((await t.listExperiments()).map((e) => e.name)).toEqual(["Default", "keep"]);
      expect(await t.getRun(d.withArtifact)).toBeNull();
      expect(await t.getRun(d.plain)).toBeNull();
      expect(await t.getRunDetails(d.withArtifact)).toBeNull();
      const summaries = await t.getExperimentSummaries();
      expect(summaries.map((s) => s.name)).toEqual(["Default", "keep"]);
      await expect(t.loadResults("doomed")).rejects.toBeInstanceOf(ExperimentNotFound);
      await expect(t.loadResults(d.id)).rejects.toBeInstanceOf(ExperimentNotFound);
      await expect(t.getExperimentRuns(d.id)).rejects.toBeInstanceOf(ExperimentNotFound);
      await expect(t.getMetricHistory(d.withArtifact, "loss")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
      await expect(t.getArtifactAbspath(d.withArtifact, "weights.bin")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
      await expect(t.deleteRun(d.plain)).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
      // The surviving experiment is untouched.
      expect(await t.getRun(keep)).toMatchObject({ runId: keep, status: "FINISHED" });
    }
  });

  test("its artifacts are released: the run's link is gone and so are the unshared bytes", async () => {
    const d = await seedDoomed();
    expect(existsSync(d.link)).toBe(true);
    expect(filesHolding(store.storeDir, d.bytes).length).toBeGreaterThan(0);
    await tracker.deleteExperiment("doomed");
    expect(existsSync(d.link)).toBe(false);
    expect(filesHolding(store.storeDir, d.bytes)).toEqual([]);
  });

  test("a blob shared with a registered model is kept, and the model still loads", async () => {
    const id = await tracker.getOrCreateExperiment("with-model");
    const model = { weights: [1, 2, 3], note: "kept" };
    const runId = await tracker.startRun({ experimentName: "with-model", ...QUIET }, async (run) => {
      await run.logModel(model, "model.json", { compress: 0 });
      return run.runId;
    });
    const link = await tracker.getArtifactAbspath(runId, "model.json");
    expect(await tracker.registerModel(runId, "model.json", "keeper")).toBe("1");

    await tracker.deleteExperiment(id);
    expect(existsSync(link)).toBe(false);
    expect(filesHolding(store.storeDir, JSON.stringify(model)).length).toBeGreaterThan(0);
    expect(await tracker.loadRegisteredModel("keeper")).toEqual(model);
    expect(await store.reopen().loadRegisteredModel("keeper", "1")).toEqual(model);
  });

  test("a blob also used by a run of another experiment is kept for that run", async () => {
    const file = join(store.dir, "same.txt");
    writeFileSync(file, "identical bytes");
    const logIt = (experimentName: string) =>
      tracker.startRun({ experimentName, ...QUIET }, async (run) => {
        await run.logArtifact(file);
        return run.runId;
      });
    await logIt("gone");
    const survivor = await logIt("stays");
    await tracker.deleteExperiment("gone");
    const path = await tracker.getArtifactAbspath(survivor, "same.txt");
    expect(filesHolding(store.storeDir, "identical bytes")).toContain(path.slice(store.storeDir.length + 1));
  });

  test("ids are never reused, and a new experiment with the deleted name gets a new id", async () => {
    const a = await tracker.getOrCreateExperiment("a");
    const b = await tracker.getOrCreateExperiment("b");
    await tracker.deleteExperiment(b); // the highest id
    const c = await tracker.getOrCreateExperiment("c");
    expect([a, b]).not.toContain(c);
    const b2 = await tracker.getOrCreateExperiment("b");
    expect([a, b, c]).not.toContain(b2);
    expect(Number(b2)).toBeGreaterThan(Number(c));
    expect(await tracker.getExperiment(b2)).toMatchObject({ name: "b" });
    expect(await tracker.getExperiment(b)).toBeNull();
    // Another tracker (a fresh replay) agrees.
    const other = store.reopen();
    expect(await other.getOrCreateExperiment("b")).toBe(b2);
    const d = await other.getOrCreateExperiment("d");
    expect([a, b, c, b2]).not.toContain(d);
  });

  test("the re-created name starts empty: old runs do not come back", async () => {
    const d = await seedDoomed("phoenix");
    await tracker.deleteExperiment("phoenix");
    const id = await tracker.getOrCreateExperiment("phoenix");
    expect(id).not.toBe(d.id);
    expect(await tracker.getExperimentRuns(id)).toEqual([]);
    expect((await tracker.loadResults("phoenix")).numRows()).toBe(0);
    expect(await tracker.getRun(d.withArtifact)).toBeNull();
    const summary = (await tracker.getExperimentSummaries()).find((s) => s.name === "phoenix");
    expect(summary).toMatchObject({ experimentId: id, numRuns: 0, lastRun: null });
  });

  test("an unknown name or id throws ExperimentNotFound", async () => {
    await expect(tracker.deleteExperiment("nope")).rejects.toBeInstanceOf(ExperimentNotFound);
    await expect(tracker.deleteExperiment("77")).rejects.toBeInstanceOf(ExperimentNotFound);
  });

  test("deleting twice: the second call throws ExperimentNotFound", async () => {
    await tracker.getOrCreateExperiment("twice");
    await tracker.deleteExperiment("twice");
    await expect(tracker.deleteExperiment("twice")).rejects.toBeInstanceOf(ExperimentNotFound);
  });
});
