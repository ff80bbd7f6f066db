/**
 * Issue 3, faults 1 and 4: writer processes SIGKILLed at random moments while others keep logging,
 * a writer killed while it holds the journal lock, and the fsync option.
 *
 * Workers are the compiled scripts dist/test/workers/crash-*.js (`npx tsc` first). A writer
 * acknowledges each event in a side file only after its promise resolved; after the kills every
 * acknowledged event must be in the journal exactly once, and the journal's bytes must check out
 * line by line (parsed here, independently of runelog's reader).
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { InvalidInput, RuneLog } from "../src/index.js";
import { type Child, checkWriters, Children, readAcks, readRawJournal, type RawLine, removeDir, sleep, tempDir, workerScript } from "./workers/crash-harness.js";

jest.setTimeout(60_000);

/** The very module object the library's `import { fsyncSync } from "node:fs"` calls through (a namespace import would be a copy). */
const nodeFs: typeof import("node:fs") = require("node:fs");

const STALE_MS = 2000; // the smallest stale bound runelog accepts, so a lock left by a kill costs little
const EXPERIMENT = "crash";

let dir: string;
const children = new Children();

beforeEach(() => {
  dir = tempDir("runelog-crash-");
  mkdirSync(join(dir, "acks"));
});

afterEach(async () => {
  jest.restoreAllMocks();
  await children.killAll();
  removeDir(dir);
});

interface Writer {
  id: number;
  child: Child;
  ackFile: string;
}

function startWriter(id: number, fsync = false, bigBytes = 0): Writer {
  const ackFile = join(dir, "acks", `${id}.log`);
  const child = children.start(workerScript(__dirname, "crash-writer"), [dir, EXPERIMENT, String(id), ackFile, String(STALE_MS), fsync ? "1" : "0", String(bigBytes)], { CRASH_WRITER_PACED: "1" });
  return { id, child, ackFile };
}

/** The journal after the kills: every line checks out, and every writer's events are as they acknowledged (see checkWriters). */
function checkJournalAgainstAcks(file: string, writers: Writer[]): { events: RawLine[]; acked: number } {
  const raw = readRawJournal(file);
  expect(raw.problems).toEqual([]);
  expect(raw.tailBytes).toBe(0);
  const { problems, acked } = checkWriters(raw.events, writers);
  expect(problems).toEqual([]);
  return { events: raw.events, acked };
}

/** Library reads of the whole experiment must not throw, and must agree with the raw bytes. */
async function checkLibraryReads(tracker: RuneLog, experimentId: string, events: RawLine[]): Promise<void> {
  const runs = await tracker.getExperimentRuns(experimentId);
  const started = events.filter((e) => e.type === "RunStarted").map((e) => e.data.runId as string);
  expect(runs.map((r) => r.runId).sort()).toEqual([...started].sort());
  for (const runId of started) {
    const values = events.filter((e) => e.type === "MetricsLogged" && e.data.runId === runId && "v" in e.data.metrics).map((e) => e.data.metrics.v);
    const history = await tracker.getMetricHistory(runId, "v");
    expect(history.map((p) => p.value)).toEqual(values);
    const run = await tracker.getRun(runId);
    const params = events.filter((e) => e.type === "ParamsLogged" && e.data.runId === runId).flatMap((e) => Object.keys(e.data.params).filter((k) => k !== "pad"));
    expect(Object.keys(run!.params).filter((k) => k !== "pad").sort()).toEqual(params.sort());
  }
  expect((await tracker.loadResults(experimentId)).numRows()).toBe(started.length);
  const report = await tracker.verify();
  expect(report.ok).toBe(true);
  for (const j of report.journals) expect(j.problems).toEqual([]);
}

async function untilAcked(w: Writer, atLeast: number, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (readAcks(w.ackFile).counters.length < atLeast) {
    if (!w.child.alive()) throw new Error(`writer ${w.id} died (${what}): ${w.child.stderr()}`);
    if (Date.now() > deadline) throw new Error(`writer ${w.id} acknowledged nothing new within 30 s (${what}); stderr: ${w.child.stderr()}`);
    await sleep(20);
  }
}

test("SIGKILL at random moments, 24 kills among 4 writers: every acknowledged event is in the journal exactly once and the journal checks out", async () => {
  const KILLS = 24;
  const LIVE = 4;
  const tracker = new RuneLog({ path: dir, lockStaleMs: STALE_MS });
  const experimentId = await tracker.getOrCreateExperiment(EXPERIMENT);
  const journal = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);

  const all: Writer[] = [];
  const live: Writer[] = [];
  let nextId = 1;
  let kills = 0;
  let tornSeen = 0;
  let readsDone = 0;
  const deadline = Date.now() + 40_000;
  while (kills < KILLS && Date.now() < deadline) {
    while (live.length < LIVE) {
      const id = nextId++;
      const w = startWriter(id, id % 4 === 0); // every fourth writer with fsync on
      all.push(w);
      live.push(w);
    }
    await sleep(50 + Math.random() * 150);
    for (const w of live) if (!w.child.alive()) throw new Error(`writer ${w.id} exited on its own: ${w.child.stderr()}`);
    // a random writer that is logging (it has at least begun); kill it wherever it is
    const candidates = live.filter((w) => w.child.messages.some((m) => m.started));
    if (candidates.length === 0) continue;
    const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
    await children.kill(victim.child);
    live.splice(live.indexOf(victim), 1);
    kills++;
    if (existsSync(journal) && readRawJournal(journal).tailBytes > 0) tornSeen++;
    // reads in the middle of it all, with torn tails and stale locks about, never throw
    if (kills % 4 === 0) {
      await tracker.getExperimentRuns(experimentId);
      const some = readAcks(victim.ackFile).runId;
      if (some) expect(await tracker.getRun(some)).not.toBeNull();
      expect((await tracker.verify()).ok).toBe(true);
      readsDone++;
    }
  }
  // the rest die the same way
  for (const w of live) {
    expect(w.child.alive()).toBe(true);
    await children.kill(w.child);
    kills++;
  }
  if (readRawJournal(journal).tailBytes > 0) tornSeen++;
  process.stderr.write(`crash test: ${kills} SIGKILLs of ${all.length} writers, torn tail seen after ${tornSeen} kills, ${readsDone} mid-run read rounds\n`);
  expect(kills).toBeGreaterThanOrEqual(20);
  for (const w of all) expect((await w.child.exited).signal).toBe("SIGKILL");

  // reads before any repair ignore a torn tail
  await tracker.getExperimentRuns(experimentId);

  // the next append repairs a torn tail and takes over a lock left behind
  const last = await tracker.startRun({ experimentId, logCode: false, logGitMeta: false });
  await last.logMetric("final", 1);
  await last.end();

  const { events, acked } = checkJournalAgainstAcks(journal, all);
  expect(acked).toBeGreaterThan(0);
  expect(events.at(-1)).toMatchObject({ type: "RunEnded", data: { runId: last.runId, status: "FINISHED" } });
  await checkLibraryReads(tracker, experimentId, events);
  // and a fresh tracker (cold read) agrees
  await checkLibraryReads(new RuneLog(dir), experimentId, events);
});

/**
 * Watches the journal's end in a tight loop and SIGKILLs `victim` the moment the file ends in the
 * middle of a line already longer than a megabyte (its big write under way), or gives up when
 * `done()` says that write finished.
 */
function killMidWrite(journal: string, victim: Child, done: () => boolean): boolean {
  const fd = openSync(journal, "r");
  const last = Buffer.alloc(1);
  const window = Buffer.alloc(1 << 20);
  try {
    const deadline = Date.now() + 20_000;
    for (let i = 0; Date.now() < deadline; i++) {
      const size = fstatSync(fd).size;
      // ends mid-line, and that line is already over a megabyte long: the big write is under way
      // (not one of the other writers' short lines)
      if (size > window.length && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 10) {
        const got = readSync(fd, window, 0, window.length, size - window.length);
        if (got === window.length && window.indexOf(10) < 0) {
          victim.proc.kill("SIGKILL");
          return true;
        }
      }
      if (i % 256 === 0 && (done() || !victim.alive())) return false;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

test("SIGKILL in the middle of multi-megabyte writes: reads ignore the torn tail, the next append repairs it, nothing acknowledged is lost", async () => {
  const ATTEMPTS = 3;
  const BIG = 16 * 1024 * 1024;
  const tracker = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  const experimentId = await tracker.getOrCreateExperiment(EXPERIMENT);
  const journal = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);
  const background = [startWriter(1), startWriter(2)];
  for (const w of background) await untilAcked(w, 1, "starting");
  const all = [...background];
  let torn = 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const big = startWriter(10 + attempt, attempt % 2 === 1, BIG);
    all.push(big);
    const { big: counter } = await big.child.waitFor((m) => m.big !== undefined);
    const cut = killMidWrite(journal, big.child, () => readAcks(big.ackFile).counters.includes(counter));
    await children.kill(big.child);
    const raw = readRawJournal(journal);
    expect(raw.problems).toEqual([]); // everything before the cut is whole and chained
    if (cut && raw.tailBytes > 0) {
      torn++;
      expect(readAcks(big.ackFile).counters).not.toContain(counter);
      // the tail is still torn (its writer held the lock, which is not stale yet): reads pass over it
      const runs = await tracker.getExperimentRuns(experimentId);
      expect(runs.length).toBeGreaterThanOrEqual(all.length - 1);
      const report = await tracker.verify();
      expect(report.ok).toBe(true);
      for (const j of report.journals) for (const p of j.problems) expect(p.kind).toBe("torn-tail");
    }
    // the others get going again: the lock is taken over and the tail repaired
    const counts = background.map((w) => readAcks(w.ackFile).counters.length);
    await Promise.all(background.map((w, i) => untilAcked(w, counts[i]! + 20, "after a big write was cut")));
    const after = readRawJournal(journal);
    expect(after.problems).toEqual([]);
  }
  process.stderr.write(`big-write test: ${torn} of ${ATTEMPTS} kills cut a write in the middle\n`);
  expect(torn).toBeGreaterThan(0);
  for (const w of background) await children.kill(w.child);
  const last = await tracker.startRun({ experimentId, logCode: false, logGitMeta: false });
  await last.end();
  const { events } = checkJournalAgainstAcks(journal, all);
  await checkLibraryReads(new RuneLog(dir), experimentId, events);
});

test("a writer SIGKILLed while it holds the journal lock: the others take over once the lock is stale, and nothing is lost", async () => {
  const tracker = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  const experimentId = await tracker.getOrCreateExperiment(EXPERIMENT);
  const journal = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);
  const writers = [startWriter(1), startWriter(2), startWriter(3)];
  for (const w of writers) await untilAcked(w, 1, "before the lock was taken");

  const holder = children.start(workerScript(__dirname, "crash-lockholder"), [journal, String(STALE_MS)]);
  await holder.waitFor((m) => m.locked === holder.pid);
  expect(existsSync(`${journal}.lock`)).toBe(true);
  await children.kill(holder); // dies holding the lock: nobody will ever release it
  expect(existsSync(`${journal}.lock`)).toBe(true);
  const counts = writers.map((w) => readAcks(w.ackFile).counters.length);

  // every writer gets going again, and so does an append from this process
  const mine = await tracker.startRun({ experimentId, logCode: false, logGitMeta: false });
  await mine.logMetric("after", 1);
  await Promise.all(writers.map((w, i) => untilAcked(w, counts[i]! + 50, "after the holder was killed")));
  for (const w of writers) await children.kill(w.child);
  await mine.end();

  const { events } = checkJournalAgainstAcks(journal, writers);
  expect(events.filter((e) => e.data?.runId === mine.runId).map((e) => e.type)).toEqual(["RunStarted", "MetricsLogged", "RunEnded"]);
  await checkLibraryReads(new RuneLog(dir), experimentId, events);
});

describe("fsync option", () => {
  test("fsync: true writes the same correct journal, one fsync per group-commit batch, before the batch resolves", async () => {
    const tracker = new RuneLog({ path: dir, fsync: true });
    const run = await tracker.startRun({ experimentName: "durable", logCode: false, logGitMeta: false });
    let resolved = false;
    const fsyncs: boolean[] = [];
    const real = nodeFs.fsyncSync;
    jest.spyOn(nodeFs, "fsyncSync").mockImplementation((fd) => {
      fsyncs.push(resolved);
      real(fd);
    });
    const batch = Array.from({ length: 50 }, (_, i) => run.logMetric("m", i, { step: i }));
    await Promise.all(batch).then(() => (resolved = true));
    expect(fsyncs).toEqual([false]); // one batch, one fsync, and it came before the promises resolved
    for (let i = 50; i < 55; i++) await run.logMetric("m", i, { step: i });
    expect(fsyncs).toHaveLength(6);
    await run.end();
    jest.restoreAllMocks();

    const raw = readRawJournal(join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`));
    expect(raw.problems).toEqual([]);
    expect(raw.tailBytes).toBe(0);
    expect(raw.events.map((e) => e.type)).toEqual(["RunStarted", ...Array(55).fill("MetricsLogged"), "RunEnded"]);
    expect((await new RuneLog(dir).getMetricHistory(run.runId, "m")).map((p) => p.value)).toEqual(Array.from({ length: 55 }, (_, i) => i));
    expect((await tracker.verify()).ok).toBe(true);
  });

  test("the default does not fsync", async () => {
    const tracker = new RuneLog(dir);
    const run = await tracker.startRun({ experimentName: "fast", logCode: false, logGitMeta: false });
    const spy = jest.spyOn(nodeFs, "fsyncSync");
    await Promise.all(Array.from({ length: 20 }, (_, i) => run.logMetric("m", i)));
    await run.logMetric("m", 20);
    await run.end();
    expect(spy).not.toHaveBeenCalled();
    expect((await tracker.getRun(run.runId))!.status).toBe("FINISHED");
    expect(statSync(join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`)).size).toBeGreaterThan(0);
  });

  test("fsync must be a boolean: InvalidInput, nothing written", () => {
    for (const bad of ["yes", 1, null, "true"]) {
      expect(() => new RuneLog({ path: dir, fsync: bad as never })).toThrow(InvalidInput);
    }
    expect(existsSync(join(dir, ".runelog"))).toBe(false);
  });
});
