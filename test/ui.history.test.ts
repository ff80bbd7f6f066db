/** History over HTTP: /api/events pages, /api/diff between two instants, /api/verify, and damage. */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UiApp } from "../src/ui/server/app.js";
import type { JournalEvent } from "../src/index.js";
import { nextMillisecond, openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, getJson, uiApp } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
beforeEach(() => {
  store = openStore("runelog-ui-hist-");
  ui = uiApp(store.tracker);
});
afterEach(() => {
  ui.close();
  store.done();
});

async function all(query: Parameters<typeof store.tracker.events>[0] = {}): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of store.tracker.events(query)) out.push(e);
  return out;
}

async function pages(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let n = 0;
  do {
    const body: { events: JournalEvent[]; next: string | null } = await getJson(ui, `/api/events?limit=${limit}${query}${after ? `&after=${after}` : ""}`);
    ids.push(...body.events.map((e) => e.id));
    if (body.next !== null) expect(body.next).toBe(body.events[body.events.length - 1]!.id);
    after = body.next;
    n++;
  } while (after !== null);
  return { ids, pages: n };
}

test("/api/events: pages chained by `next` give every event once, in order; filters by experiment, run and type", async () => {
  const a = await store.tracker.startRun({ experimentName: "e1", ...QUIET });
  const b = await store.tracker.startRun({ experimentName: "e2", ...QUIET });
  for (let i = 0; i < 7; i++) {
    await a.logMetric("m", i, { step: i });
    await b.logMetric("m", i, { step: i });
  }
  await a.end();
  await b.end();
  const every = (await all()).map((e) => e.id);
  const paged = await pages("", 4);
  expect(paged.ids).toEqual(every);
  expect(paged.pages).toBe(Math.ceil(every.length / 4) + (every.length % 4 === 0 ? 1 : 0));
  expect((await pages("&experiment=e1", 3)).ids).toEqual((await all({ experiment: "e1" })).map((e) => e.id));
  expect((await pages(`&runId=${b.runId}`, 5)).ids).toEqual((await all({ runId: b.runId })).map((e) => e.id));
  const ended = await getJson(ui, "/api/events?type=RunEnded&type=RunStarted");
  expect(ended.events.map((e: JournalEvent) => e.type).sort()).toEqual(["RunEnded", "RunEnded", "RunStarted", "RunStarted"]);
  expect(ended.next).toBeNull();
  const untilFirst = await getJson(ui, `/api/events?until=${every[0]}`);
  expect(untilFirst.events.map((e: JournalEvent) => e.id)).toEqual([every[0]]);
});

test("/api/events: bad after, limit, since are 400 naming them; an unknown experiment is 404", async () => {
  await store.tracker.startRun({ experimentName: "e1", ...QUIET });
  for (const [q, name] of [["after=nope", "after"], ["after=01ARZ3NDEKTSV4RRFFQ69G5FAV", "after"], ["limit=0", "limit"], ["since=soon", "since"]]) {
    const err = await errorOf(await call(ui, `/api/events?${q}`));
    expect(err).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(err.message).toContain(name);
  }
  expect(await errorOf(await call(ui, "/api/events?experiment=ghost"))).toMatchObject({ status: 404, code: "EXPERIMENT_NOT_FOUND" });
});

async function lastEventId(): Promise<string> {
  const events = await all();
  await nextMillisecond();
  return events[events.length - 1]!.id;
}

test("/api/diff: runs started and ended, params changed (net, with the old value), aliases moved, deletions", async () => {
  const t = store.tracker;
  const old = await t.startRun({ experimentName: "d", ...QUIET });
  await old.logParams({ lr: 0.1, same: 1 });
  await old.logModel({ w: 1 }, "m.json");
  await t.registerModel(old.runId, "m.json", "clf");
  await t.registerModel(old.runId, "m.json", "clf");
  await t.setModelAlias("clf", "prod", "1");
  await t.setModelAlias("clf", "keep", "1");
  const doomed = await t.startRun({ experimentName: "d", ...QUIET });
  await doomed.end();
  await t.getOrCreateExperiment("gone");
  const from = await lastEventId();
  await old.logParams({ lr: 0.2, same: 1 });
  await old.end("FAILED");
  const fresh = await t.startRun({ experimentName: "d", ...QUIET });
  await fresh.logParam("depth", 4);
  await t.setModelAlias("clf", "prod", "2");
  await t.setModelAlias("clf", "keep", "2");
  await t.setModelAlias("clf", "keep", "1");
  await t.deleteRun(doomed.runId);
  await t.deleteExperiment("gone");
  const to = await lastEventId();
  await fresh.logParam("depth", 5); // after `to`: not in the diff

  const d = await getJson(ui, `/api/diff?from=${from}&to=${to}`);
  expect(d.runsStarted).toEqual([expect.objectContaining({ runId: fresh.runId, experimentId: "1", parentRunId: null })]);
  expect(d.runsEnded).toEqual([expect.objectContaining({ runId: old.runId, status: "FAILED" })]);
  const params = d.paramsChanged.map((p: { runId: string; key: string; before?: unknown; after: unknown }) => [p.runId, p.key, p.before, p.after]);
  expect(params).toEqual([
    [old.runId, "lr", 0.1, 0.2],
    [fresh.runId, "depth", undefined, 4],
  ]);
  expect(d.aliasesMoved).toEqual([expect.objectContaining({ modelName: "clf", alias: "prod", before: "1", after: "2" })]);
  expect(d.deleted.map((x: { kind: string; id: string }) => [x.kind, x.id])).toEqual([
    ["run", doomed.runId],
    ["experiment", "2"],
  ]);
  for (const entry of [...d.runsStarted, ...d.deleted]) {
    expect(typeof entry.at).toBe("string");
    expect(entry.eventId).toMatch(/^[0-9A-Z]{26}$/);
  }
  // an ISO `from` works the same; without `to` the diff runs to now
  const now = await getJson(ui, `/api/diff?from=${encodeURIComponent(new Date(0).toISOString())}`);
  expect(now.runsStarted).toHaveLength(3);
  expect(await errorOf(await call(ui, "/api/diff"))).toMatchObject({ status: 400, code: "INVALID_INPUT" });
  expect((await errorOf(await call(ui, "/api/diff?from=x"))).message).toContain("from");
});

test("/api/verify: the verify() report; a damaged journal makes reads 500 with the JournalCorrupted message", async () => {
  const run = await store.tracker.startRun({ experimentName: "v", ...QUIET });
  await run.logMetric("m", 1);
  await run.logMetric("m", 2);
  await run.end();
  expect(await getJson(ui, "/api/verify")).toEqual(await store.tracker.verify());
  expect((await getJson(ui, "/api/verify")).ok).toBe(true);
  const dir = join(store.storeDir, "experiments");
  const file = join(dir, readdirSync(dir).find((f) => f.startsWith("1"))!);
  const lines = readFileSync(file, "utf8").split("\n");
  lines[1] = lines[1]!.replace('"m":1', '"m":7');
  writeFileSync(file, lines.join("\n"));
  appendFileSync(file, "");
  const report = await getJson(ui, "/api/verify");
  expect(report.ok).toBe(false);
  expect(report.journals.flatMap((j: { problems: Array<{ kind: string }> }) => j.problems.map((p) => p.kind))).toContain("bad-checksum");
  const fresh = uiApp(store.reopen());
  try {
    const err = await errorOf(await call(fresh, `/api/runs/${run.runId}`));
    expect(err).toMatchObject({ status: 500, code: "JOURNAL_CORRUPTED" });
    expect(err.message).toMatch(/journal corrupted: .* line 2/);
  } finally {
    fresh.close();
  }
});
