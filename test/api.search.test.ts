/**
 * tracker.searchRuns and loadResults({ filter, orderBy }) on a real store: experiments by name or id,
 * the default of every live experiment, maxResults, order, asOf views, bad options, and a fast-check
 * property: for random filters (printed from random ASTs) the store answers what a direct evaluation
 * of the AST over getRun's answers says.
 */
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { draft, newId } from "../src/events.js";
import { DEFAULT_LOCK_OPTIONS, FileJournal } from "../src/journal/index.js";
import { MemoryStore } from "../src/store/memory/index.js";
import { trackerOn } from "../src/tracker.js";
import { ExperimentNotFound, InvalidInput, RuneLog } from "../src/index.js";
import { type Expr, type Ident, type Literal, printFilter } from "../src/query/index.js";
import { expectInvalidInput, nextMillisecond, openStore, QUIET, type TestStore } from "./helpers/api.js";
import { evaluate, type PlainRun } from "./helpers/query.js";
import { snapshotFiles } from "./helpers/store.js";

jest.setTimeout(120_000);

let store: TestStore;
let tracker: RuneLog;
const id: Record<string, string> = {};

beforeAll(async () => {
  store = openStore("runelog-search-");
  tracker = store.tracker;
  const log = async (name: string, experimentName: string, params: Record<string, unknown>, metrics: Record<string, number>, tags: Record<string, string> = {}, status?: "FAILED") => {
    await nextMillisecond();
    const run = await tracker.startRun({ ...QUIET, experimentName, tags });
    await run.logParams(params);
    await run.logMetrics(metrics);
    await run.end(status);
    id[name] = run.runId;
  };
  await log("a1", "mnist", { lr: 0.01, optimizer: "adam", batchSize: 32 }, { acc: 0.91, loss: 0.3 }, { stage: "final" });
  await log("a2", "mnist", { lr: "0.1", optimizer: "sgd", batchSize: 64 }, { acc: 0.85 }, { stage: "draft" });
  await log("a3", "mnist", { lr: 1, optimizer: "adam", batchSize: 32 }, { acc: NaN }, {}, "FAILED");
  await log("b1", "cifar", { lr: 0.01, optimizer: "adam" }, { acc: 0.7, "val acc": 0.65 }, { stage: "final", "队": "蓝" });
  await log("b2", "cifar", { lr: 0.5 }, { acc: Infinity });
  await log("gone", "deleted-later", { lr: 0.01 }, { acc: 0.99 });
  await nextMillisecond();
  await tracker.startRun({ ...QUIET, experimentName: "cifar" }, async (parent) => {
    id.parent = parent.runId;
    await nextMillisecond();
    await tracker.startRun({ ...QUIET, experimentName: "cifar" }, async (child) => {
      id.child = child.runId;
      await child.logMetric("acc", 0.5);
    });
  });
  await tracker.deleteExperiment("deleted-later");
});

afterAll(() => store.done());

const ids = (runs: Array<{ runId: string }>) => runs.map((r) => r.runId);
const named = (...names: string[]) => names.map((n) => id[n]);

describe("searchRuns", () => {
  test("across every live experiment by default, in start order", async () => {
    expect(ids(await tracker.searchRuns())).toEqual(named("a1", "a2", "a3", "b1", "b2", "parent", "child"));
    expect(ids(await tracker.searchRuns({ filter: "metrics.acc > 0.8" }))).toEqual(named("a1", "a2", "b2"));
  });

  test("experiments by name or id, each searched once", async () => {
    const cifar = await tracker.getOrCreateExperiment("cifar");
    expect(ids(await tracker.searchRuns({ experiments: ["mnist"], filter: "params.optimizer = 'adam'" }))).toEqual(named("a1", "a3"));
    expect(ids(await tracker.searchRuns({ experiments: [cifar, "mnist", "cifar"], filter: "params.optimizer = 'adam'" }))).toEqual(named("a1", "a3", "b1"));
  });

  test("the API's example, and MLflow's string form of a numeric param", async () => {
    const runs = await tracker.searchRuns({ experiments: ["mnist", "cifar"], filter: "metrics.acc > 0.6 and params.optimizer = 'adam'", orderBy: ["metrics.acc DESC", "attributes.start_time"], maxResults: 100 });
    expect(ids(runs)).toEqual(named("a1", "b1"));
    expect(ids(await tracker.searchRuns({ filter: "params.lr = '0.01'" }))).toEqual(named("a1", "b1"));
    expect(ids(await tracker.searchRuns({ filter: "params.lr < 0.2" }))).toEqual(named("a1", "a2", "b1"));
  });

  test("runs come in getRun's shape plus parentRunId", async () => {
    const [child] = await tracker.searchRuns({ filter: "attributes.parent_run_id IS NOT NULL" });
    expect(child).toEqual({ ...(await tracker.getRun(id.child!)), parentRunId: id.parent });
    const [a1] = await tracker.searchRuns({ filter: `attributes.run_id = '${id.a1}'` });
    expect(a1).toEqual({ ...(await tracker.getRun(id.a1!)), parentRunId: null });
    a1!.params.lr = 5; // a caller's copy: the store's view is untouched
    expect((await tracker.getRun(id.a1!))!.params.lr).toBe(0.01);
  });

  test("orderBy: several keys, both directions, missing last, NaN after numbers; maxResults", async () => {
    const all = ["a1", "a2", "a3", "b1", "b2", "parent", "child"];
    expect(ids(await tracker.searchRuns({ orderBy: "metrics.acc DESC" }))).toEqual(named("b2", "a1", "a2", "b1", "child", "a3", "parent"));
    expect(ids(await tracker.searchRuns({ orderBy: ["metrics.acc"] }))).toEqual(named("child", "b1", "a2", "a1", "b2", "a3", "parent"));
    expect(ids(await tracker.searchRuns({ orderBy: ["params.optimizer", "metrics.acc DESC"] }))).toEqual(named("a1", "b1", "a3", "a2", "b2", "child", "parent"));
    expect(ids(await tracker.searchRuns({ orderBy: ["attributes.start_time DESC"] }))).toEqual(named(...[...all].reverse()));
    expect(ids(await tracker.searchRuns({ orderBy: "metrics.acc DESC", maxResults: 2 }))).toEqual(named("b2", "a1"));
    expect(await tracker.searchRuns({ maxResults: 0 })).toEqual([]);
    expect(ids(await tracker.searchRuns({ filter: "metrics.`val acc` > 0 OR tags.队 = '蓝'" }))).toEqual(named("b1"));
  });

  test("status and times as attributes", async () => {
    expect(ids(await tracker.searchRuns({ filter: "attributes.status = 'FAILED'" }))).toEqual(named("a3"));
    const b1 = (await tracker.getRun(id.b1!))!;
    expect(ids(await tracker.searchRuns({ filter: `attributes.start_time >= ${Date.parse(b1.startTime)} and attributes.end_time IS NOT NULL and metrics.acc IS NOT NULL` }))).toEqual(named("b1", "b2", "child"));
    expect(ids(await tracker.searchRuns({ filter: `attributes.startTime < '${b1.startTime}'` }))).toEqual(named("a1", "a2", "a3"));
  });

  test("unknown experiments, an empty list, bad options and bad filters are refused, and nothing is written", async () => {
    const before = snapshotFiles(store.storeDir);
    await expect(tracker.searchRuns({ experiments: ["nope"] })).rejects.toBeInstanceOf(ExperimentNotFound);
    await expect(tracker.searchRuns({ experiments: ["deleted-later"] })).rejects.toBeInstanceOf(ExperimentNotFound);
    await expectInvalidInput(() => tracker.searchRuns({ experiments: [] }), "experiments");
    await expectInvalidInput(() => tracker.searchRuns({ experiments: "mnist" as unknown as string[] }), "experiments");
    await expectInvalidInput(() => tracker.searchRuns({ experiments: [""] }), "experiments[0]");
    await expectInvalidInput(() => tracker.searchRuns({ filter: 3 as unknown as string }), "filter");
    await expectInvalidInput(() => tracker.searchRuns({ orderBy: [1] as unknown as string[] }), "orderBy");
    await expectInvalidInput(() => tracker.searchRuns({ maxResults: -1 }), "maxResults");
    await expectInvalidInput(() => tracker.searchRuns({ maxResults: 1.5 }), "maxResults");
    await expectInvalidInput(() => tracker.searchRuns({ sortBy: "x" } as never), "options.sortBy");
    await expectInvalidInput(() => tracker.searchRuns("x" as never), "options");
    const bad = await expectInvalidInput(() => tracker.searchRuns({ filter: "metrics.acc > and params.lr = 1" }), "filter");
    expect(bad.message).toBe("filter: expected a value after '>' at column 15\n  metrics.acc > and params.lr = 1\n                ^");
    const badOrder = await expectInvalidInput(() => tracker.searchRuns({ orderBy: ["metrics.acc DESC", "attributes.colour"] }), "orderBy");
    expect(badOrder.message).toMatch(/^orderBy: unknown attribute 'colour'.* at column 12\n {2}attributes.colour\n {13}\^$/);
    expect(snapshotFiles(store.storeDir)).toEqual(before);
  });

  test("a view of the past searches the runs as they were", async () => {
    const s = openStore("runelog-search-asof-");
    try {
      const t = s.tracker;
      const run = await t.startRun({ ...QUIET, experimentName: "e" });
      await run.logMetric("acc", 0.2);
      await nextMillisecond();
      const then = new Date();
      await nextMillisecond();
      await run.logMetric("acc", 0.9);
      await run.setTags({ stage: "final" });
      const later = await t.startRun({ ...QUIET, experimentName: "e" });
      await later.logMetric("acc", 0.95);
      const past = t.asOf(then);
      expect(ids(await past.searchRuns({ filter: "metrics.acc > 0.5" }))).toEqual([]);
      expect(ids(await past.searchRuns({ filter: "metrics.acc < 0.5 AND tags.stage IS NULL" }))).toEqual([run.runId]);
      expect((await past.searchRuns())[0]!.metrics).toEqual({ acc: 0.2 });
      expect(ids(await t.searchRuns({ filter: "metrics.acc > 0.5", orderBy: "metrics.acc DESC" }))).toEqual([later.runId, run.runId]);
      expect((await past.loadResults("e", { filter: "metrics.acc < 0.5" })).numRows()).toBe(1);
    } finally {
      s.done();
    }
  });
});

test("a search after new events sees them (nothing cached outlives a change)", async () => {
  const s = openStore("runelog-search-fresh-");
  try {
    const t = s.tracker;
    const other = s.reopen(); // another process's view of the same store
    const run = await t.startRun({ ...QUIET, experimentName: "e" });
    await run.logParams({ lr: 0.1 });
    await run.logMetric("acc", 0.2);
    expect(ids(await other.searchRuns({ filter: "metrics.acc < 0.5", orderBy: "metrics.acc" }))).toEqual([run.runId]);
    expect((await other.searchRuns())[0]!.params).toEqual({ lr: 0.1 });
    await run.logMetric("acc", 0.9);
    await run.logParams({ lr: 0.2, opt: "adam" });
    expect(ids(await other.searchRuns({ filter: "metrics.acc < 0.5" }))).toEqual([]);
    expect(ids(await other.searchRuns({ filter: "metrics.acc > 0.5 and params.opt = 'adam'" }))).toEqual([run.runId]);
    const [found] = await other.searchRuns();
    expect(found!.params).toEqual({ lr: 0.2, opt: "adam" });
    expect(found!.metrics).toEqual({ acc: 0.9 });
    expect(found!.status).toBe("RUNNING");
    const second = await t.startRun({ ...QUIET, experimentName: "e" });
    await second.logMetric("acc", 0.95);
    await run.end("FAILED");
    expect(ids(await other.searchRuns({ orderBy: "metrics.acc DESC" }))).toEqual([second.runId, run.runId]);
    expect(ids(await other.searchRuns({ filter: "attributes.status = 'FAILED' and attributes.end_time IS NOT NULL" }))).toEqual([run.runId]);
    await second.end();
  } finally {
    s.done();
  }
});

test("params holding objects come back as the caller's own deep copies", async () => {
  const s = openStore("runelog-search-nested-");
  try {
    const run = await s.tracker.startRun({ ...QUIET, experimentName: "e" });
    await run.logParams({ layers: [64, 32], opt: { name: "adam", betas: [0.9, 0.99] } });
    await run.end();
    const [first] = await s.tracker.searchRuns({ filter: "params.layers = '[64,32]' and params.opt LIKE '%adam%'" });
    (first!.params.layers as number[]).push(1);
    (first!.params.opt as { name: string }).name = "changed";
    const [again] = await s.tracker.searchRuns();
    expect(again!.params).toEqual({ layers: [64, 32], opt: { name: "adam", betas: [0.9, 0.99] } });
  } finally {
    s.done();
  }
});

describe("loadResults with filter and orderBy", () => {
  test("filters and orders the table's rows", async () => {
    const table = await tracker.loadResults("mnist", { filter: "tags.stage IS NOT NULL", orderBy: ["metrics.acc DESC"] });
    expect(table.array("runId")).toEqual(named("a1", "a2"));
    const asc = await tracker.loadResults("mnist", { orderBy: "metrics.acc" });
    expect(asc.array("runId")).toEqual(named("a2", "a1", "a3"));
  });

  test("sortBy keeps its meaning without orderBy; orderBy wins when both are given", async () => {
    expect((await tracker.loadResults("mnist", { sortBy: "metrics.acc", ascending: false })).array("runId")).toEqual(named("a1", "a2", "a3"));
    expect((await tracker.loadResults("mnist", { filter: "params.batchSize = 32", sortBy: "params.lr", ascending: false })).array("runId")).toEqual(named("a3", "a1"));
    expect((await tracker.loadResults("mnist", { sortBy: "metrics.acc", orderBy: "attributes.start_time DESC" })).array("runId")).toEqual(named("a3", "a2", "a1"));
  });

  test("no match gives the five base columns; errors as in searchRuns", async () => {
    const empty = await tracker.loadResults("mnist", { filter: "metrics.acc > 2" });
    expect(empty.numRows()).toBe(0);
    expect(empty.columnNames()).toEqual(["runId", "experimentId", "status", "startTime", "endTime"]);
    await expectInvalidInput(() => tracker.loadResults("mnist", { filter: "metrics.acc >" }), "filter");
    await expectInvalidInput(() => tracker.loadResults("mnist", { sortBy: "metrics.nope" }), "sortBy");
    await expectInvalidInput(() => tracker.loadResults("mnist", { colour: 1 } as never), "options.colour");
    await expect(tracker.loadResults("nope", { filter: "metrics.acc > 1" })).rejects.toBeInstanceOf(ExperimentNotFound);
  });
});

describe("property: the store answers what a direct evaluation says", () => {
  test("random filters over the seeded store", async () => {
    const runs = (await tracker.searchRuns()) as PlainRun[];
    const idents: Ident[] = [
      { kind: "metrics", key: "acc" }, { kind: "metrics", key: "val acc" }, { kind: "params", key: "lr" }, { kind: "params", key: "optimizer" },
      { kind: "params", key: "batchSize" }, { kind: "tags", key: "stage" }, { kind: "tags", key: "队" },
      { kind: "attributes", key: "status" }, { kind: "attributes", key: "parentRunId" }, { kind: "attributes", key: "startTime" },
    ];
    const times = runs.map((r) => Date.parse(r.startTime));
    const literal = (ident: Ident): fc.Arbitrary<Literal> =>
      ident.kind === "metrics" ? fc.constantFrom(0.5, 0.85, 0.91, NaN, Infinity, 0).map((value) => ({ type: "number" as const, value }))
      : ident.kind === "params" ? fc.oneof(fc.constantFrom(0.01, 0.1, 32, 1).map((value) => ({ type: "number" as const, value })), fc.constantFrom("adam", "0.1", "sgd", "0.01").map((value) => ({ type: "string" as const, value })))
      : ident.key === "startTime" ? fc.constantFrom(...times).map((value) => ({ type: "number" as const, value }))
      : fc.constantFrom("final", "蓝", "FAILED", "FINISHED", id.parent!).map((value) => ({ type: "string" as const, value }));
    const test: fc.Arbitrary<Expr> = fc.constantFrom(...idents).chain((ident) =>
      fc.oneof(
        fc.record({ cmp: fc.constantFrom("=", "!=", "<", ">=" as const), value: literal(ident) }).map(({ cmp, value }): Expr => ({ op: "cmp", ident, cmp, value })),
        fc.record({ negated: fc.boolean(), values: fc.array(literal(ident), { minLength: 1, maxLength: 2 }) }).map(({ negated, values }): Expr => ({ op: "in", ident, negated, values })),
        fc.boolean().map((negated): Expr => ({ op: "null", ident, negated })),
      ),
    );
    const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
      e: fc.oneof(
        { depthSize: "small" },
        test,
        fc.record({ left: tie("e"), right: tie("e") }).map(({ left, right }): Expr => ({ op: "and", left, right })),
        fc.record({ left: tie("e"), right: tie("e") }).map(({ left, right }): Expr => ({ op: "or", left, right })),
        tie("e").map((arg): Expr => ({ op: "not", arg })),
      ),
    })).e;
    await fc.assert(
      fc.asyncProperty(expr, async (e) => {
        const found = await tracker.searchRuns({ filter: printFilter(e) });
        expect(ids(found)).toEqual(ids(runs.filter((r) => evaluate(e, r))));
      }),
      { numRuns: 300 },
    );
  });
});

test("InvalidInput is what a bad filter throws, also from a fresh tracker on a missing store", async () => {
  const s = openStore("runelog-search-empty-");
  try {
    await expect(s.tracker.searchRuns({ filter: "params.x IN ()" })).rejects.toBeInstanceOf(InvalidInput);
    expect(await s.tracker.searchRuns({ filter: "params.x IS NULL" })).toEqual([]);
  } finally {
    s.done();
  }
});

test("status is what readers see: a run whose process died is KILLED, also with no event in between", async () => {
  const s = openStore("runelog-search-killed-");
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    const experimentId = await s.tracker.getOrCreateExperiment("hosts");
    const journal = new FileJournal(join(s.storeDir, "experiments", `${experimentId}.ndjson`), `experiments/${experimentId}.ndjson`, { lock: DEFAULT_LOCK_OPTIONS, fsync: false });
    const runId = newId();
    await journal.append([draft("RunStarted", { runId, experimentId, parentRunId: null, pid: child.pid!, host: hostname(), tags: {}, git: null, env: null })]);
    expect(ids(await s.tracker.searchRuns({ filter: "attributes.status = 'RUNNING'" }))).toEqual([runId]);
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGKILL");
    await exited;
    expect(ids(await s.tracker.searchRuns({ filter: "attributes.status = 'RUNNING'" }))).toEqual([]);
    const [killed] = await s.tracker.searchRuns({ filter: "attributes.status IN ('KILLED')", orderBy: "attributes.status" });
    expect(killed).toMatchObject({ runId, status: "KILLED" });
  } finally {
    child.kill("SIGKILL");
    s.done();
  }
});

test("search works the same on the in-memory store", async () => {
  const t = trackerOn(new MemoryStore());
  const a = await t.startRun({ ...QUIET, experimentName: "m" });
  await a.logParams({ lr: 0.1 });
  await a.logMetric("acc", 0.8);
  await a.end();
  await nextMillisecond();
  const b = await t.startRun({ ...QUIET, experimentName: "m" });
  await b.logMetric("acc", 0.9);
  await b.end();
  expect(ids(await t.searchRuns({ filter: "metrics.acc > 0.5", orderBy: "metrics.acc DESC" }))).toEqual([b.runId, a.runId]);
  expect(ids(await t.searchRuns({ experiments: ["m"], filter: "params.lr = '0.1'" }))).toEqual([a.runId]);
  expect((await t.loadResults("m", { filter: "params.lr IS NULL" })).array("runId")).toEqual([b.runId]);
  await t.close();
});
