/**
 * asOf(when): a read-only view of the store as it was at `when` (a Date, an ISO string, epoch ms or an
 * event id; with an event id the cut falls exactly after that event). Every read answers as the live
 * tracker answered then (a fast-check property over random operation sequences); every write throws
 * ReadOnlyView and writes nothing; reads on a view write nothing either.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { InvalidInput, RuneLog, RuneLogError, type ActiveRun, type JournalEvent } from "../src/index.js";
import { ReadOnlyView } from "../src/errors.js";
import { draft } from "../src/events.js";
import { encodeLine, GENESIS_HASH } from "../src/journal/line.js";
import { caught, openStore, QUIET, withEnv, type TestStore } from "./helpers/api.js";
import { removeDir, snapshotFiles, tempDir } from "./helpers/store.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect(iterable: AsyncIterable<JournalEvent>): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

/** The last stored event's id; a store nothing has been written to yet has none (reads create nothing). */
async function lastEventId(t: RuneLog): Promise<string> {
  let last: JournalEvent | undefined;
  for await (const e of t.events()) last = e;
  return last?.id ?? "00000000000000000000000000";
}

const EXPERIMENTS = ["a", "b", "c"];
const MODELS = ["m1", "m2"];
const ALIASES = ["champion", "staging"];

/** Everything the read calls answer, for the runs and models the test knows of. */
async function answers(t: RuneLog, runIds: readonly string[]) {
  const experiments = await t.listExperiments();
  const perExperiment = [];
  for (const e of experiments) {
    perExperiment.push({
      id: e.experimentId,
      runs: await t.getExperimentRuns(e.experimentId),
      results: (await t.loadResults(e.experimentId)).objects(),
    });
  }
  const runs = [];
  for (const id of runIds) runs.push({ run: await t.getRun(id), details: await t.getRunDetails(id) });
  const models = [];
  for (const m of MODELS) models.push(await t.getModelVersions(m));
  return {
    experiments,
    summaries: await t.getExperimentSummaries(),
    perExperiment,
    runs,
    registered: await t.listRegisteredModels(),
    models,
  };
}

type Op =
  | { kind: "startRun"; exp: number }
  | { kind: "logParam"; run: number; key: string; value: number }
  | { kind: "logMetric"; run: number; key: string; value: number; step: number }
  | { kind: "setTag"; run: number; key: string; value: string }
  | { kind: "logModel"; run: number; value: number }
  | { kind: "endRun"; run: number; status: "FINISHED" | "FAILED" | "KILLED" }
  | { kind: "deleteRun"; run: number }
  | { kind: "deleteExperiment"; exp: number }
  | { kind: "registerModel"; run: number; model: number }
  | { kind: "setAlias"; model: number; alias: number; version: number }
  | { kind: "deleteAlias"; model: number; alias: number }
  | { kind: "addModelTags"; model: number; version: number; value: string };

const small = fc.nat({ max: 9 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("startRun" as const), exp: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant("logParam" as const), run: small, key: fc.constantFrom("lr", "depth"), value: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant("logMetric" as const), run: small, key: fc.constantFrom("loss", "acc"), value: fc.double({ noNaN: false }), step: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant("setTag" as const), run: small, key: fc.constantFrom("team", "note"), value: fc.constantFrom("x", "y") }),
  fc.record({ kind: fc.constant("logModel" as const), run: small, value: fc.integer() }),
  fc.record({ kind: fc.constant("endRun" as const), run: small, status: fc.constantFrom("FINISHED" as const, "FAILED" as const, "KILLED" as const) }),
  fc.record({ kind: fc.constant("deleteRun" as const), run: small }),
  fc.record({ kind: fc.constant("deleteExperiment" as const), exp: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant("registerModel" as const), run: small, model: fc.nat({ max: 1 }) }),
  fc.record({ kind: fc.constant("setAlias" as const), model: fc.nat({ max: 1 }), alias: fc.nat({ max: 1 }), version: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant("deleteAlias" as const), model: fc.nat({ max: 1 }), alias: fc.nat({ max: 1 }) }),
  fc.record({ kind: fc.constant("addModelTags" as const), model: fc.nat({ max: 1 }), version: fc.nat({ max: 3 }), value: fc.constantFrom("p", "q") }),
);

/** One of a model's versions (or "1" when it has none, which the call then refuses). */
async function someVersion(t: RuneLog, model: string, pick: number): Promise<string> {
  const versions = await t.getModelVersions(model);
  return versions.length === 0 ? "1" : versions[pick % versions.length]!.version;
}

/** Applies one operation; refusals the API documents (RuneLogError: not found, bad state) are part of the game. */
async function apply(t: RuneLog, runs: ActiveRun[], op: Op): Promise<void> {
  const run = "run" in op && runs.length > 0 ? runs[op.run % runs.length]! : undefined;
  try {
    switch (op.kind) {
      case "startRun":
        runs.push(await t.startRun({ experimentName: EXPERIMENTS[op.exp]!, ...QUIET }));
        return;
      case "logParam":
        return await run?.logParam(op.key, op.value);
      case "logMetric":
        return await run?.logMetric(op.key, op.value, { step: op.step });
      case "setTag":
        return await run?.setTags({ [op.key]: op.value });
      case "logModel":
        return await run?.logModel({ w: op.value }, "model");
      case "endRun":
        return await run?.end(op.status);
      case "deleteRun":
        return run && (await t.deleteRun(run.runId));
      case "deleteExperiment":
        return await t.deleteExperiment(EXPERIMENTS[op.exp]!);
      case "registerModel":
        // a model to register (logModel alone rarely comes first in a short random sequence)
        if (!run) return;
        await run.logModel({ w: op.model }, "model");
        return void (await t.registerModel(run.runId, "model", MODELS[op.model]!));
      case "setAlias":
        return await t.setModelAlias(MODELS[op.model]!, ALIASES[op.alias]!, await someVersion(t, MODELS[op.model]!, op.version));
      case "deleteAlias":
        return await t.deleteModelAlias(MODELS[op.model]!, ALIASES[op.alias]!);
      case "addModelTags":
        return void (await t.addModelTags(MODELS[op.model]!, await someVersion(t, MODELS[op.model]!, op.version), { v: op.value }));
    }
  } catch (err) {
    if (!(err instanceof RuneLogError)) throw err;
  }
}

describe("asOf() answers every read as the live tracker answered at that moment", () => {
  test("property: random operation sequences; asOf(last event id) and asOf(a Date between operations) equal the live answers captured then", async () => {
    // The workload must be worth comparing: answers that change between points, models with aliases.
    let changes = 0;
    let aliasesSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const s = openStore("runelog-asof-prop-");
        try {
          const t = s.tracker;
          const runs: ActiveRun[] = [];
          const points: Array<{ eventId: string; date: Date; runIds: string[]; live: Awaited<ReturnType<typeof answers>> }> = [];
          for (const op of ops) {
            await apply(t, runs, op);
            await sleep(2);
            const runIds = runs.map((r) => r.runId);
            const live = await answers(t, runIds);
            const eventId = await lastEventId(t);
            const date = new Date();
            await sleep(2);
            points.push({ eventId, date, runIds, live });
          }
          points.forEach((p, k) => {
            if (k > 0 && JSON.stringify(p.live) !== JSON.stringify(points[k - 1]!.live)) changes++;
            if (p.live.models.some((versions) => versions.some((v) => v.aliases.length > 0))) aliasesSeen++;
          });
          for (const p of points) {
            const byId = await answers(t.asOf(p.eventId), p.runIds);
            expect(byId).toEqual(p.live);
            const byDate = await answers(t.asOf(p.date), p.runIds);
            expect(byDate).toEqual(p.live);
          }
          // The view at the last point is today's store.
          expect(await answers(t.asOf(points.at(-1)!.eventId), points.at(-1)!.runIds)).toEqual(await answers(t, points.at(-1)!.runIds));
        } finally {
          s.done();
        }
      }),
      {
        numRuns: 25,
        // One fixed sequence that exercises everything, so the counters below never depend on luck.
        examples: [[[
          { kind: "startRun", exp: 0 },
          { kind: "logParam", run: 0, key: "lr", value: 1 },
          { kind: "logMetric", run: 0, key: "loss", value: 0.5, step: 1 },
          { kind: "setTag", run: 0, key: "team", value: "x" },
          { kind: "registerModel", run: 0, model: 0 },
          { kind: "setAlias", model: 0, alias: 0, version: 0 },
          { kind: "addModelTags", model: 0, version: 0, value: "p" },
          { kind: "startRun", exp: 1 },
          { kind: "endRun", run: 1, status: "FAILED" },
          { kind: "deleteRun", run: 0 },
          { kind: "deleteExperiment", exp: 1 },
          { kind: "deleteAlias", model: 0, alias: 0 },
        ]]],
      },
    );
    expect(changes).toBeGreaterThanOrEqual(11);
    expect(aliasesSeen).toBeGreaterThan(0);
  });
});

describe("asOf() with each kind of instant", () => {
  let s: TestStore;
  let run: ActiveRun;
  let cut: Date;
  let cutEventId: string;
  beforeAll(async () => {
    s = openStore("runelog-asof-");
    run = await s.tracker.startRun({ experimentName: "e", ...QUIET });
    await run.logParam("lr", 0.1);
    await run.logMetric("loss", 0.9, { step: 0 });
    await run.logModel({ w: [1] }, "model");
    await s.tracker.registerModel(run.runId, "model", "clf");
    await s.tracker.setModelAlias("clf", "champion", "1");
    await sleep(2);
    cutEventId = await lastEventId(s.tracker);
    cut = new Date();
    await sleep(2);
    await run.logParam("lr", 0.2);
    await run.logMetric("loss", 0.1, { step: 1 });
    await run.setTags({ later: "yes" });
    await run.end("FAILED");
    await s.tracker.registerModel(run.runId, "model", "clf");
    await s.tracker.setModelAlias("clf", "champion", "2");
    await s.tracker.startRun({ experimentName: "later", ...QUIET });
  });
  afterAll(() => s.done());

  test("a Date, an ISO string, epoch milliseconds and the last event id before it give the same past", async () => {
    const views = [s.tracker.asOf(cut), s.tracker.asOf(cut.toISOString()), s.tracker.asOf(cut.getTime()), s.tracker.asOf(cutEventId)];
    for (const v of views) {
      expect(await v.getRun(run.runId)).toMatchObject({ status: "RUNNING", endTime: null, params: { lr: 0.1 }, metrics: { loss: 0.9 }, tags: {} });
      expect((await v.listExperiments()).map((e) => e.name)).toEqual(["Default", "e"]);
      expect((await v.getModelVersions("clf")).map((m) => [m.version, m.aliases])).toEqual([["1", ["champion"]]]);
      expect(await v.loadRegisteredModel("clf", "@champion")).toEqual({ w: [1] });
      expect(await v.getMetricHistory(run.runId, "loss")).toHaveLength(1);
      expect((await collect(v.events())).at(-1)!.id).toBe(cutEventId);
    }
    // the live tracker has moved on
    expect(await s.tracker.getRun(run.runId)).toMatchObject({ status: "FAILED", params: { lr: 0.2 }, metrics: { loss: 0.1 }, tags: { later: "yes" } });
    expect((await s.tracker.getModelVersions("clf")).map((m) => [m.version, m.aliases])).toEqual([["2", ["champion"]], ["1", []]]);
  });

  test("a view's events() is the live history up to the cut", async () => {
    const live = await collect(s.tracker.events());
    const i = live.findIndex((e) => e.id === cutEventId);
    expect(await collect(s.tracker.asOf(cutEventId).events())).toEqual(live.slice(0, i + 1));
    expect(await collect(s.tracker.asOf(cut).events({ experiment: "e" }))).toEqual(live.slice(0, i + 1).filter((e) => e.type !== "ExperimentCreated" && !e.type.startsWith("Model")));
  });

  test("an instant that is none of the accepted kinds is InvalidInput naming the argument", async () => {
    for (const bad of ["yesterday-ish", NaN, {} as unknown as Date, new Date("nope")]) {
      const err = await caught(() => s.tracker.asOf(bad as Date));
      expect(err).toBeInstanceOf(InvalidInput);
      expect((err as InvalidInput).message).toContain("when");
    }
  });
});

describe("asOf(eventId) cuts exactly after that event when several events share its millisecond", () => {
  let dir: string;
  const ids: string[] = [];
  const runId = "01HWV5Z3J0M3Q8S6Y9T1R2P4KA";
  beforeAll(() => {
    dir = tempDir("runelog-asof-ties-");
    const store = join(dir, ".runelog");
    mkdirSync(join(store, "experiments"), { recursive: true });
    const at = new Date("2024-05-01T12:00:00.000Z");
    const write = (file: string, drafts: ReturnType<typeof draft>[]) => {
      let prev = GENESIS_HASH;
      let text = "";
      drafts.forEach((d, k) => {
        const { line, crc } = encodeLine(d, k + 1, prev);
        prev = crc;
        text += line;
        ids.push((JSON.parse(line) as JournalEvent).id);
      });
      const fd = openSync(file, "w");
      writeSync(fd, text);
      closeSync(fd);
    };
    write(join(store, "catalog.ndjson"), [draft("ExperimentCreated", { experimentId: "0", name: "Default" }, new Date("2024-05-01T11:00:00.000Z"))]);
    ids.length = 0;
    write(join(store, "experiments", "0.ndjson"), [
      draft("RunStarted", { runId, experimentId: "0", parentRunId: null, pid: 1, host: "elsewhere", tags: {}, git: null, env: null }, at),
      ...[0, 1, 2, 3].map((step) => draft("MetricsLogged", { runId, metrics: { loss: step }, step, timestamp: at.getTime() }, at)),
      draft("RunEnded", { runId, status: "FINISHED" }, at),
    ]);
  });
  afterAll(() => removeDir(dir));

  test("each event id gives the state right after that event and no later one", async () => {
    const t = new RuneLog(dir);
    for (let k = 1; k <= 4; k++) {
      const v = t.asOf(ids[k]!);
      expect((await v.getMetricHistory(runId, "loss")).map((p) => p.step)).toEqual([0, 1, 2, 3].slice(0, k));
      expect((await v.getRun(runId))!.status).toBe("RUNNING");
    }
    expect((await t.asOf(ids[5]!).getRun(runId))!.status).toBe("FINISHED");
    expect(await t.asOf(ids[0]!).getRun(runId)).toMatchObject({ status: "RUNNING", metrics: {} });
  });
});

describe("a view of the past is read-only", () => {
  let s: TestStore;
  beforeEach(() => {
    s = openStore("runelog-asof-ro-");
  });
  afterEach(() => s.done());

  test("every write call throws ReadOnlyView and no byte of the store changes", async () => {
    const t = s.tracker;
    const run = await t.startRun({ experimentName: "e", ...QUIET });
    await run.logModel({ w: 1 }, "model");
    await t.registerModel(run.runId, "model", "clf", { a: "1" });
    await t.setModelAlias("clf", "champion", "1");
    const view = t.asOf(await lastEventId(t));
    const file = join(s.dir, "input.txt");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, "hello");
    const before = snapshotFiles(s.storeDir);
    const writes: Array<[string, () => unknown]> = [
      ["getOrCreateExperiment", () => view.getOrCreateExperiment("new")],
      ["startRun", () => view.startRun({ experimentName: "e", ...QUIET })],
      ["startRun", () => view.startRun({ experimentName: "e", ...QUIET }, async () => 1)],
      ["resumeRun", () => view.resumeRun(run.runId)],
      ["logParam", () => view.logParam("k", 1)],
      ["logParams", () => view.logParams({ k: 1 })],
      ["logMetric", () => view.logMetric("k", 1)],
      ["logMetrics", () => view.logMetrics({ k: 1 })],
      ["setTags", () => view.setTags({ k: "v" })],
      ["logArtifact", () => view.logArtifact(file)],
      ["logModel", () => view.logModel({ w: 2 }, "other")],
      ["deleteRun", () => view.deleteRun(run.runId)],
      ["deleteExperiment", () => view.deleteExperiment("e")],
      ["registerModel", () => view.registerModel(run.runId, "model", "clf")],
      ["addModelTags", () => view.addModelTags("clf", "1", { b: "2" })],
      ["removeModelTags", () => view.removeModelTags("clf", "1", ["a"])],
      ["setModelAlias", () => view.setModelAlias("clf", "staging", "1")],
      ["deleteModelAlias", () => view.deleteModelAlias("clf", "champion")],
    ];
    for (const [call, fn] of writes) {
      const err = await caught(fn);
      expect(err).toBeInstanceOf(ReadOnlyView);
      expect((err as ReadOnlyView).code).toBe("READ_ONLY");
      expect((err as Error).message).toContain(call);
    }
    // A sweep trial's hand-over must not make a view write either.
    await withEnv("RUNELOG_RUN_ID", run.runId, async () => {
      expect(await caught(() => view.startRun(QUIET))).toBeInstanceOf(ReadOnlyView);
      expect(await caught(() => view.currentRun())).toBeInstanceOf(ReadOnlyView);
    });
    expect(snapshotFiles(s.storeDir)).toEqual(before);
    // and the view still reads
    expect(await view.getModelTags("clf", "1")).toEqual({ a: "1" });
  });

  test("every read call on a view writes nothing, also for an artifact of a run deleted since", async () => {
    const t = s.tracker;
    const run = await t.startRun({ experimentName: "e", ...QUIET });
    await run.logParam("lr", 0.1);
    await run.logMetric("loss", 0.5);
    await run.logModel({ w: [1, 2] }, "model");
    await run.end();
    await t.registerModel(run.runId, "model", "clf");
    const view = t.asOf(await lastEventId(t));
    await sleep(2);
    await t.deleteRun(run.runId); // releases the run's link; the registry still holds the blob
    const before = snapshotFiles(s.storeDir);
    expect(await view.getRun(run.runId)).toMatchObject({ status: "FINISHED", params: { lr: 0.1 } });
    await view.getRunDetails(run.runId);
    await view.getMetricHistory(run.runId, "loss");
    await view.getRunTags(run.runId);
    await view.listExperiments();
    await view.getExperimentSummaries();
    await view.getExperimentRuns("1");
    await view.loadResults("e");
    await view.listRegisteredModels();
    await view.getModelVersions("clf");
    expect(await view.loadRegisteredModel("clf")).toEqual({ w: [1, 2] });
    expect(await view.loadModel(run.runId, "model")).toEqual({ w: [1, 2] });
    await collect(view.events());
    await view.verify();
    expect(snapshotFiles(s.storeDir)).toEqual(before);
    // The path to a deleted run's artifact: answering it must not put a link back into the live store
    // (nothing would ever release it). Either an error or a path outside the live artifacts is fine.
    await caught(() => view.getArtifactAbspath(run.runId, "model")).catch(() => undefined);
    const after = snapshotFiles(s.storeDir);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after).toEqual(before);
  });
});
