/**
 * events(): the stored history, exactly as stored, in journal order; its filters (experiment, runId,
 * since, until); the merge across journals; events of deleted experiments and runs (an audit must
 * still see them); and streaming (iterating a large journal keeps memory bounded).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { ExperimentNotFound, RuneLog, type JournalEvent } from "../src/index.js";
import { draft } from "../src/events.js";
import { encodeLine, GENESIS_HASH } from "../src/store/line.js";
import { nextMillisecond, openStore, QUIET, type TestStore } from "./helpers/api.js";
import { removeDir, tempDir } from "./helpers/store.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A journal's lines as stored: the raw text of each line and the line parsed by JSON.parse. */
function rawLines(file: string): Array<{ text: string; event: JournalEvent }> {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((text) => ({ text, event: JSON.parse(text) as JournalEvent }));
}

/** Every journal of a store in the order the library lists streams: catalogue, experiments by id, registry. */
function journalFiles(storeDir: string): string[] {
  const files: string[] = [];
  if (exists(join(storeDir, "catalog.ndjson"))) files.push(join(storeDir, "catalog.ndjson"));
  const ids = readdirSync(join(storeDir, "experiments"))
    .map((f) => /^(\d+)\.ndjson$/.exec(f)?.[1])
    .filter((x): x is string => x !== undefined)
    .sort((a, b) => Number(a) - Number(b));
  for (const id of ids) files.push(join(storeDir, "experiments", `${id}.ndjson`));
  if (exists(join(storeDir, "registry.ndjson"))) files.push(join(storeDir, "registry.ndjson"));
  return files;
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Every stored line of the store, merged by timestamp; ties keep the journal order (stable sort). */
function mergedRaw(storeDir: string): Array<{ text: string; event: JournalEvent }> {
  return journalFiles(storeDir)
    .flatMap((f) => rawLines(f))
    .sort((a, b) => (a.event.ts < b.event.ts ? -1 : a.event.ts > b.event.ts ? 1 : 0));
}

async function collect(iterable: AsyncIterable<JournalEvent>): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

const texts = (events: JournalEvent[]) => events.map((e) => JSON.stringify(e));

/**
 * A store with two experiments, runs in each, a registered model and an alias, each operation in its
 * own millisecond (so timestamps order the operations), plus a Date captured in the middle.
 */
async function buildHistory(s: TestStore) {
  const t = s.tracker;
  const a = await t.startRun({ experimentName: "alpha", ...QUIET, tags: { who: "a" } });
  await nextMillisecond();
  await a.logParams({ lr: 0.1, layers: [8, 4] });
  await nextMillisecond();
  const b = await t.startRun({ experimentName: "beta", ...QUIET });
  await nextMillisecond();
  await a.logMetric("loss", 0.5, { step: 1 });
  await nextMillisecond();
  await b.logMetric("loss", 0.7, { step: 1 });
  await sleep(2);
  const middle = new Date();
  await sleep(2);
  await a.logModel({ weights: [1, 2, 3] }, "model");
  await nextMillisecond();
  await a.end();
  await nextMillisecond();
  await t.registerModel(a.runId, "model", "clf", { stage: "dev" });
  await nextMillisecond();
  await t.setModelAlias("clf", "champion", "1");
  await nextMillisecond();
  const a2 = await t.startRun({ experimentName: "alpha", ...QUIET });
  await a2.setTags({ second: "yes" });
  await nextMillisecond();
  await b.end("FAILED");
  return { a, b, a2, middle };
}

describe("events() on a real store", () => {
  let s: TestStore;
  let h: Awaited<ReturnType<typeof buildHistory>>;
  beforeAll(async () => {
    s = openStore("runelog-events-");
    h = await buildHistory(s);
  });
  afterAll(() => s.done());

  test("one experiment: its journal's lines in file order, each event exactly as stored (byte-identical when re-serialized)", async () => {
    const raw = rawLines(join(s.storeDir, "experiments", `${h.a.experimentId}.ndjson`));
    expect(raw.map((r) => r.event.type)).toEqual(["RunStarted", "ParamsLogged", "MetricsLogged", "ArtifactLogged", "RunEnded", "RunStarted", "TagsSet"]);
    const byName = await collect(s.tracker.events({ experiment: "alpha" }));
    const byId = await collect(s.tracker.events({ experiment: h.a.experimentId }));
    expect(texts(byName)).toEqual(raw.map((r) => r.text));
    expect(byName).toEqual(raw.map((r) => r.event));
    expect(texts(byId)).toEqual(raw.map((r) => r.text));
    // journal order: seq counts 1, 2, 3 …
    expect(byName.map((e) => e.seq)).toEqual(raw.map((_, i) => i + 1));
    // every event carries the envelope fields
    for (const e of byName) {
      expect(Object.keys(e)).toEqual(["seq", "v", "id", "ts", "type", "data", "prev", "crc"]);
      expect(e.v).toBe(1);
    }
  });

  test("unfiltered: every journal's events merged by timestamp, each journal's own order kept", async () => {
    const all = await collect(s.tracker.events());
    const expected = mergedRaw(s.storeDir);
    expect(texts(all)).toEqual(expected.map((r) => r.text));
    const types = all.map((e) => e.type);
    for (const t of ["ExperimentCreated", "RunStarted", "ParamsLogged", "MetricsLogged", "ArtifactLogged", "RunEnded", "TagsSet", "ModelVersionRegistered", "ModelAliasSet"]) {
      expect(types).toContain(t);
    }
    for (let i = 1; i < all.length; i++) expect(all[i]!.ts >= all[i - 1]!.ts).toBe(true);
    // A second tracker (another process) sees the same history.
    expect(texts(await collect(s.reopen().events()))).toEqual(texts(all));
  });

  test("runId: that run's events and the registry versions made from it, in time order", async () => {
    const expected = mergedRaw(s.storeDir).filter((r) => {
      const d = r.event.data as { runId?: string; sourceRunId?: string };
      return d.runId === h.a.runId || d.sourceRunId === h.a.runId;
    });
    const got = await collect(s.tracker.events({ runId: h.a.runId }));
    expect(texts(got)).toEqual(expected.map((r) => r.text));
    expect(got.map((e) => e.type)).toEqual(["RunStarted", "ParamsLogged", "MetricsLogged", "ArtifactLogged", "RunEnded", "ModelVersionRegistered"]);
    const other = await collect(s.tracker.events({ runId: h.b.runId }));
    expect(other.map((e) => e.type)).toEqual(["RunStarted", "MetricsLogged", "RunEnded"]);
  });

  test("runId combined with experiment: only that run's events of that journal", async () => {
    const got = await collect(s.tracker.events({ experiment: "alpha", runId: h.a2.runId }));
    expect(got.map((e) => e.type)).toEqual(["RunStarted", "TagsSet"]);
    expect(got.every((e) => (e.data as { runId: string }).runId === h.a2.runId)).toBe(true);
  });

  test("since / until as a Date and as an ISO string cut at that moment", async () => {
    const all = mergedRaw(s.storeDir);
    const cut = h.middle.toISOString();
    const before = all.filter((r) => r.event.ts <= cut).map((r) => r.text);
    const after = all.filter((r) => r.event.ts >= cut).map((r) => r.text);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(before.length + after.length).toBe(all.length); // nothing was written in that very millisecond
    expect(texts(await collect(s.tracker.events({ until: h.middle })))).toEqual(before);
    expect(texts(await collect(s.tracker.events({ until: cut })))).toEqual(before);
    expect(texts(await collect(s.tracker.events({ since: h.middle })))).toEqual(after);
    expect(texts(await collect(s.tracker.events({ since: cut })))).toEqual(after);
    // both together, with one experiment
    const alphaAfter = rawLines(join(s.storeDir, "experiments", `${h.a.experimentId}.ndjson`)).filter((r) => r.event.ts >= cut && r.event.ts <= all.at(-1)!.event.ts);
    expect(texts(await collect(s.tracker.events({ experiment: "alpha", since: cut, until: new Date(all.at(-1)!.event.ts) })))).toEqual(alphaAfter.map((r) => r.text));
  });

  test("since / until as an event id include that event and cut right at it", async () => {
    const all = mergedRaw(s.storeDir);
    // an event whose millisecond it has to itself
    const i = all.findIndex((r, k) => r.event.type === "ArtifactLogged" && all[k - 1]!.event.ts < r.event.ts && all[k + 1]!.event.ts > r.event.ts);
    expect(i).toBeGreaterThan(0);
    const id = all[i]!.event.id;
    expect(texts(await collect(s.tracker.events({ until: id })))).toEqual(all.slice(0, i + 1).map((r) => r.text));
    expect(texts(await collect(s.tracker.events({ since: id })))).toEqual(all.slice(i).map((r) => r.text));
    expect(texts(await collect(s.tracker.events({ since: id, until: id })))).toEqual([all[i]!.text]);
  });

  test("an unknown experiment is ExperimentNotFound; a run with no events yields nothing", async () => {
    await expect(collect(s.tracker.events({ experiment: "nope" }))).rejects.toBeInstanceOf(ExperimentNotFound);
    expect(await collect(s.tracker.events({ runId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" }))).toEqual([]);
  });
});

describe("events() with an event id as since/until when several events share one millisecond", () => {
  // Group commit writes many events in one millisecond; an event id must still cut exactly at that event.
  let dir: string;
  const ids: string[] = [];
  beforeAll(() => {
    dir = tempDir("runelog-events-ties-");
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
      });
      const fd = openSync(file, "w");
      writeSync(fd, text);
      closeSync(fd);
    };
    write(join(store, "catalog.ndjson"), [draft("ExperimentCreated", { experimentId: "0", name: "Default" }, new Date("2024-05-01T11:00:00.000Z"))]);
    const runId = "01HWV5Z3J0M3Q8S6Y9T1R2P4KA";
    const drafts = [
      draft("RunStarted", { runId, experimentId: "0", parentRunId: null, pid: 1, host: "elsewhere", tags: {}, git: null, env: null }, at),
      ...[0, 1, 2, 3].map((step) => draft("MetricsLogged", { runId, metrics: { loss: step }, step, timestamp: at.getTime() }, at)),
      draft("RunEnded", { runId, status: "FINISHED" }, at),
    ];
    write(join(store, "experiments", "0.ndjson"), drafts);
    for (const r of rawLines(join(store, "experiments", "0.ndjson"))) ids.push(r.event.id);
  });
  afterAll(() => removeDir(dir));

  test("until: an event id ends the stream with exactly that event", async () => {
    const t = new RuneLog(dir);
    const got = await collect(t.events({ experiment: "0", until: ids[2] }));
    expect(got.map((e) => e.id)).toEqual(ids.slice(0, 3));
  });

  test("since: an event id starts the stream with exactly that event", async () => {
    const t = new RuneLog(dir);
    const got = await collect(t.events({ experiment: "0", since: ids[2] }));
    expect(got.map((e) => e.id)).toEqual(ids.slice(2));
  });
});

describe("events() keeps the history of deleted runs and experiments (audit)", () => {
  let s: TestStore;
  beforeEach(() => {
    s = openStore("runelog-events-deleted-");
  });
  afterEach(() => s.done());

  test("a deleted experiment's events still show, unfiltered, by its id, and by the id of one of its runs", async () => {
    const t = s.tracker;
    const run = await t.startRun({ experimentName: "gone", ...QUIET });
    await run.logParam("p", 1);
    await run.logMetric("m", 2);
    await run.end();
    const file = join(s.storeDir, "experiments", `${run.experimentId}.ndjson`);
    const stored = rawLines(file).map((r) => r.text);
    await nextMillisecond();
    await t.deleteExperiment("gone");
    expect(await t.listExperiments()).toEqual([expect.objectContaining({ name: "Default" })]);

    const all = await collect(t.events());
    expect(texts(all)).toEqual(mergedRaw(s.storeDir).map((r) => r.text));
    for (const line of stored) expect(texts(all)).toContain(line);
    expect(all.at(-1)).toMatchObject({ type: "ExperimentDeleted", data: { experimentId: run.experimentId } });

    // The name is free again (names are unique among live experiments only), so the id is how to ask.
    expect(texts(await collect(t.events({ experiment: run.experimentId })))).toEqual(stored);
    expect(texts(await collect(t.events({ runId: run.runId })))).toEqual(stored);
  });

  test("a deleted run's events still show when asked for by its run id", async () => {
    const t = s.tracker;
    const run = await t.startRun({ experimentName: "keep", ...QUIET });
    await run.logMetric("m", 1);
    await run.end();
    await t.deleteRun(run.runId);
    expect(await t.getRun(run.runId)).toBeNull();
    const got = await collect(t.events({ runId: run.runId }));
    expect(got.map((e) => e.type)).toEqual(["RunStarted", "MetricsLogged", "RunEnded", "RunDeleted"]);
  });
});

describe("events() streams: iterating a large journal keeps memory bounded", () => {
  const EVENTS = 100_000;
  let dir: string;
  let file: string;
  beforeAll(() => {
    // Written with the library's own line encoder, in batches, so the file is a real journal.
    dir = tempDir("runelog-events-big-");
    mkdirSync(join(dir, ".runelog", "experiments"), { recursive: true });
    file = join(dir, ".runelog", "experiments", "0.ndjson");
    const fd = openSync(file, "w");
    const runId = "01HWV5Z3J0M3Q8S6Y9T1R2P4KA";
    let prev = GENESIS_HASH;
    let seq = 0;
    let batch: string[] = [];
    const push = (d: ReturnType<typeof draft>) => {
      const { line, crc } = encodeLine(d, ++seq, prev);
      prev = crc;
      batch.push(line);
      if (batch.length === 5000) {
        writeSync(fd, batch.join(""));
        batch = [];
      }
    };
    push(draft("RunStarted", { runId, experimentId: "0", parentRunId: null, pid: 1, host: "elsewhere", tags: {}, git: null, env: null }));
    for (let i = 0; i < EVENTS; i++) push(draft("MetricsLogged", { runId, metrics: { loss: 1 / (i + 1), acc: i / EVENTS }, step: i, timestamp: 1_700_000_000_000 + i }));
    writeSync(fd, batch.join(""));
    closeSync(fd);
  });
  afterAll(() => removeDir(dir));

  test("heap retained while iterating 100,000 events stays far below the journal's size; holding them all does not", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(25_000_000);
    const tracker = new RuneLog(dir);

    gc();
    let base = process.memoryUsage().heapUsed;
    let count = 0;
    let peak = 0;
    let lastStep = -1;
    let outOfOrder = 0;
    for await (const e of tracker.events({ experiment: "0" })) {
      count++;
      if (e.type === "MetricsLogged") {
        if (e.data.step !== lastStep + 1) outOfOrder++; // in journal order, none lost
        lastStep = e.data.step;
      }
      if (count % 10_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(count).toBe(EVENTS + 1);
    expect(outOfOrder).toBe(0);
    expect(lastStep).toBe(EVENTS - 1);
    expect(peak).toBeLessThan(0.5 * size);

    // The same measure catches a reader that keeps every event: the bound above can fail.
    gc();
    base = process.memoryUsage().heapUsed;
    const held: JournalEvent[] = [];
    for await (const e of tracker.events({ experiment: "0" })) held.push(e);
    gc();
    const heldBytes = process.memoryUsage().heapUsed - base;
    expect(held.length).toBe(EVENTS + 1);
    expect(heldBytes).toBeGreaterThan(0.5 * size);
  });
});
