/** The UI's HTTP API through app.request(): every read route, its shapes, ?asOf= and the errors. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UiApp } from "../src/ui/server/app.js";
import { nextMillisecond, openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, getJson, uiApp } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
beforeEach(() => {
  store = openStore("runelog-ui-");
  ui = uiApp(store.tracker);
});
afterEach(() => {
  ui.close();
  store.done();
});

async function seed() {
  const t = store.tracker;
  const a = await t.startRun({ experimentName: "mnist", ...QUIET });
  await a.logParams({ lr: 0.01, optimizer: "adam" });
  for (let step = 0; step < 5; step++) await a.logMetric("loss", 1 / (step + 1), { step });
  await a.logMetric("acc", NaN, { step: 0 });
  await a.setTags({ stage: "dev" });
  const file = join(store.dir, "notes.txt");
  writeFileSync(file, "hello");
  await a.logArtifact(file);
  await a.end();
  const b = await t.startRun({ experimentName: "mnist", ...QUIET });
  await b.logParam("lr", 0.1);
  await b.logMetric("loss", Infinity, { step: 0 });
  await b.end("FAILED");
  return { a: a.runId, b: b.runId };
}

test("GET /api/experiments: summaries with run counts by status", async () => {
  await seed();
  const body = await getJson(ui, "/api/experiments");
  expect(body.map((e: { name: string }) => e.name)).toEqual(["Default", "mnist"]);
  const mnist = body[1];
  expect(mnist).toMatchObject({ experimentId: "1", numRuns: 2, byStatus: { RUNNING: 0, FINISHED: 1, FAILED: 1, KILLED: 0 } });
  expect(typeof mnist.lastRun).toBe("string");
  expect(typeof mnist.createdAt).toBe("string");
});

test("GET /api/runs: total, a page of runs with NaN and Infinity as strings, and the keys of every run", async () => {
  const { a, b } = await seed();
  const body = await getJson(ui, "/api/runs?experiment=mnist");
  expect(body.total).toBe(2);
  expect(body.runs.map((r: { runId: string }) => r.runId)).toEqual([a, b]);
  expect(body.runs[0].metrics).toEqual({ loss: 0.2, acc: "NaN" });
  expect(body.runs[1].metrics).toEqual({ loss: "Infinity" });
  expect(body.runs[0].parentRunId).toBeNull();
  expect(body.keys).toEqual({ params: ["lr", "optimizer"], metrics: ["acc", "loss"], tags: ["stage"] });
  const page = await getJson(ui, "/api/runs?experiment=mnist&offset=1&limit=1");
  expect(page.total).toBe(2);
  expect(page.runs.map((r: { runId: string }) => r.runId)).toEqual([b]);
});

test("GET /api/runs/:runId: the run in full, with its events and point counts", async () => {
  const { a } = await seed();
  const body = await getJson(ui, `/api/runs/${a}`);
  expect(body).toMatchObject({ runId: a, status: "FINISHED", params: { lr: 0.01 }, artifacts: ["notes.txt"], parentRunId: null, metricCounts: { loss: 5, acc: 1 } });
  expect(body.metricHistory.acc).toEqual([expect.objectContaining({ value: "NaN", step: 0 })]);
  expect(body.events[0].type).toBe("RunStarted");
  expect(body.events.every((e: { data: { runId: string } }) => e.data.runId === a)).toBe(true);
  expect(body.eventsNext).toBeNull();
  const lean = await getJson(ui, `/api/runs/${a}?metricHistory=false`);
  expect(lean.metricHistory).toBeUndefined();
  expect(lean.metricCounts).toEqual({ loss: 5, acc: 1 });
});

test("unknown runs, experiments and routes are 404 with the error's code", async () => {
  await seed();
  expect(await errorOf(await call(ui, "/api/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV"))).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
  expect(await errorOf(await call(ui, "/api/runs?experiment=nope"))).toMatchObject({ status: 404, code: "EXPERIMENT_NOT_FOUND" });
  expect(await errorOf(await call(ui, "/api/nothing-here"))).toMatchObject({ status: 404, code: "NOT_FOUND" });
});

test("?asOf= answers as the store was then; a bad asOf is 400 naming asOf", async () => {
  const t = store.tracker;
  const run = await t.startRun({ experimentName: "hist", ...QUIET });
  await run.logParam("lr", 1);
  const events: string[] = [];
  for await (const e of t.events()) events.push(e.id);
  const cut = events[events.length - 1]!;
  await nextMillisecond();
  await run.logParam("lr", 2);
  await run.end();
  expect((await getJson(ui, `/api/runs/${run.runId}`)).params.lr).toBe(2);
  const then = await getJson(ui, `/api/runs/${run.runId}?asOf=${cut}`);
  expect(then.params.lr).toBe(1);
  expect(then.status).toBe("RUNNING");
  const err = await errorOf(await call(ui, "/api/experiments?asOf=yesterday-ish"));
  expect(err).toMatchObject({ status: 400, code: "INVALID_INPUT" });
  expect(err.message).toContain("asOf");
});

test("GET /api/runs searches with searchRuns: filter, repeated orderBy, several experiments; keys ignore the filter", async () => {
  const { a, b } = await seed();
  const other = await store.tracker.startRun({ experimentName: "cifar", ...QUIET });
  await other.logParam("depth", 3);
  await other.end();
  const found = await getJson(ui, `/api/runs?experiment=mnist&filter=${encodeURIComponent("params.lr = 0.1")}`);
  expect(found.total).toBe(1);
  expect(found.runs[0].runId).toBe(b);
  expect(found.keys.params).toEqual(["lr", "optimizer"]);
  const ordered = await getJson(ui, `/api/runs?experiment=mnist&experiment=cifar&orderBy=${encodeURIComponent("params.lr DESC")}&orderBy=attributes.start_time`);
  expect(ordered.runs.map((r: { runId: string }) => r.runId)).toEqual([b, a, other.runId]);
  expect(ordered.keys.params).toEqual(["depth", "lr", "optimizer"]);
  const everywhere = await getJson(ui, "/api/runs");
  expect(everywhere.total).toBe(3);
});

test("a filter that does not parse is 400 with the caret message; a bad offset or limit is 400 naming it", async () => {
  await seed();
  const err = await errorOf(await call(ui, `/api/runs?filter=${encodeURIComponent("metrics.acc > and x")}`));
  expect(err).toMatchObject({ status: 400, code: "INVALID_INPUT" });
  expect(err.message).toContain("filter");
  expect(err.message).toContain("^");
  for (const q of ["offset=-1", "limit=0", "limit=ten", "offset=1.5"]) {
    const e = await errorOf(await call(ui, `/api/runs?${q}`));
    expect(e).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(e.message).toContain(q.split("=")[0]);
  }
});

test("errors map to statuses by code: 400, 404, 409, 500 (JournalCorrupted's message), 503; anything else 500 without a stack", async () => {
  const { errorResponse } = await import("../src/ui/server/http.js");
  const errors = await import("../src/errors.js");
  const cases: Array<[Error, number, string]> = [
    [new errors.InvalidInput("x", "bad"), 400, "INVALID_INPUT"],
    [new errors.ExperimentNotFound("e"), 404, "EXPERIMENT_NOT_FOUND"],
    [new errors.RunNotFound("r"), 404, "RUN_NOT_FOUND"],
    [new errors.ArtifactNotFound("a"), 404, "ARTIFACT_NOT_FOUND"],
    [new errors.ModelNotFound("m"), 404, "MODEL_NOT_FOUND"],
    [new errors.NoVersionsFound("m"), 404, "NO_VERSIONS_FOUND"],
    [new errors.ModelVersionNotFound("m", "1"), 404, "MODEL_VERSION_NOT_FOUND"],
    [new errors.ReadOnlyView("setModelAlias"), 409, "READ_ONLY"],
    [new errors.JournalCorrupted("experiments/1.ndjson", 3, 120, "bad-checksum"), 500, "JOURNAL_CORRUPTED"],
    [new errors.LockTimeout("registry.ndjson", 60000), 503, "LOCK_TIMEOUT"],
    [Object.assign(new errors.RuneLogError("db down"), { code: "STORE_UNAVAILABLE" }), 503, "STORE_UNAVAILABLE"],
    [new TypeError("boom"), 500, "INTERNAL"],
  ];
  for (const [err, status, code] of cases) {
    const res = errorResponse(err);
    const body = await res.json();
    expect({ code, status: res.status, body: body.error.code }).toEqual({ code, status, body: code });
    expect(body.error.message).toBe(err.message);
    expect(JSON.stringify(body)).not.toContain("    at ");
  }
  expect((await errorResponse(new errors.JournalCorrupted("experiments/1.ndjson", 3, 120, "bad-checksum")).json()).error.message).toMatch(/experiments\/1\.ndjson line 3 \(byte offset 120\)/);
});

test("deleted runs and experiments are gone now and there again as of before the deletion", async () => {
  const { a } = await seed();
  const other = await store.tracker.startRun({ experimentName: "old", ...QUIET });
  await other.end();
  let before = "";
  for await (const e of store.tracker.events()) before = e.id;
  await store.tracker.deleteRun(a);
  await store.tracker.deleteExperiment("old");
  expect((await call(ui, `/api/runs/${a}`)).status).toBe(404);
  expect((await getJson(ui, "/api/experiments")).map((e: { name: string }) => e.name)).toEqual(["Default", "mnist"]);
  expect((await getJson(ui, `/api/runs/${a}?asOf=${before}`)).runId).toBe(a);
  expect((await getJson(ui, `/api/experiments?asOf=${before}`)).map((e: { name: string }) => e.name)).toEqual(["Default", "mnist", "old"]);
  expect((await getJson(ui, `/api/runs?asOf=${before}`)).total).toBe(3);
  expect(ui.views.cached).toBe(1); // one instant, one view, however many requests
});

test("asOf views: one per instant (an ISO time and the same epoch ms share it), least recently used out first", async () => {
  const { Views } = await import("../src/ui/server/views.js");
  const views = new Views(store.tracker, 2);
  const t1 = "2026-01-01T00:00:00.000Z";
  const a = views.at(t1);
  expect(views.at(String(Date.parse(t1)))).toBe(a);
  const b = views.at("2026-01-02T00:00:00Z");
  expect(views.at(t1)).toBe(a); // a is now the most recent
  views.at("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  expect(views.cached).toBe(2);
  expect(views.at(t1)).toBe(a);
  expect(views.at("2026-01-02T00:00:00.000Z")).not.toBe(b); // b was evicted
});
