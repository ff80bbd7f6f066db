/**
 * Issue 3, fault 2: a lock left by a killed process is taken over once stale; a lock held by a live
 * process makes writers give up with LockTimeout after the bound the tracker's options set.
 *
 * The holder is a real process (dist/test/workers/crash-lockholder.js) taking the journal lock the
 * way runelog's writers do. No assertion here is about speed: only that every writer finishes, and
 * what it wrote (or did not write).
 */
import { existsSync, mkdirSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { InvalidInput, LockTimeout, RuneLog, RuneLogError } from "../src/index.js";
import { checkWriters, Children, readAcks, readRawJournal, removeDir, sleep, tempDir, workerScript } from "./workers/crash-harness.js";

jest.setTimeout(60_000);

const STALE_MS = 2000;

let dir: string;
const children = new Children();

beforeEach(() => {
  dir = tempDir("runelog-stale-");
});

afterEach(async () => {
  await children.killAll();
  removeDir(dir);
});

const journalOf = (experimentId: string) => join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);

/** An experiment with one finished run in it, so its journal and its folder exist. */
async function seeded(name: string): Promise<{ experimentId: string; journal: string; runId: string }> {
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: name, logCode: false, logGitMeta: false });
  await run.logMetric("seed", 1);
  await run.end();
  return { experimentId: run.experimentId, journal: journalOf(run.experimentId), runId: run.runId };
}

function startHolder(journal: string, staleMs: number) {
  return children.start(workerScript(__dirname, "crash-lockholder"), [journal, String(staleMs)]);
}

test("a process SIGKILLed while holding the lock: once the lock is stale, writers in this process and in others take over and all complete", async () => {
  const { experimentId, journal } = await seeded("stale");
  const holder = startHolder(journal, STALE_MS);
  await holder.waitFor((m) => m.locked === holder.pid);
  await children.kill(holder);
  expect(existsSync(`${journal}.lock`)).toBe(true); // left behind by the dead

  // two trackers in this process (sharing one group-commit writer) and one in another process
  const a = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  const b = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  const other = children.start(workerScript(__dirname, "crash-run"), [dir, "stale"]);
  const [runA, runB] = await Promise.all([
    a.startRun({ experimentId, logCode: false, logGitMeta: false }),
    b.startRun({ experimentId, logCode: false, logGitMeta: false }),
  ]);
  await Promise.all([...Array.from({ length: 10 }, (_, i) => runA.logMetric("m", i, { step: i })), runB.logParam("p", "b")]);
  const { runId: otherRun } = await other.waitFor((m) => typeof m.runId === "string");
  await Promise.all([runA.end(), runB.end()]);
  await children.kill(other);

  expect(existsSync(`${journal}.lock`)).toBe(false); // released by the last writer
  const raw = readRawJournal(journal);
  expect(raw.problems).toEqual([]);
  expect(raw.tailBytes).toBe(0);
  const c = new RuneLog(dir);
  expect((await c.getMetricHistory(runA.runId, "m")).map((p) => p.value)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  expect(await c.getRun(runB.runId)).toMatchObject({ status: "FINISHED", params: { p: "b" } });
  expect((await c.getRun(otherRun))!.metrics).toEqual({ loss: 0.5 });
  expect((await c.verify()).ok).toBe(true);
});

test("with a live holder that keeps its lock fresh, a writer gets LockTimeout after its lockTimeoutMs, the journal is unchanged, and it writes again once the holder is gone", async () => {
  const { experimentId, journal, runId } = await seeded("held");
  const before = readFileSync(journal);
  // the holder refreshes every 5 s on a 10 s stale bound: within this test it never goes stale
  const holder = startHolder(journal, 10_000);
  await holder.waitFor((m) => m.locked === holder.pid);

  const tracker = new RuneLog({ path: dir, lockTimeoutMs: 500 });
  const run = await tracker.resumeRun(runId).then(
    () => null,
    (err: unknown) => err,
  );
  expect(run).toBeInstanceOf(LockTimeout);
  expect(run).toBeInstanceOf(RuneLogError);
  expect((run as LockTimeout).code).toBe("LOCK_TIMEOUT");
  expect((run as LockTimeout).file).toBe(journal);

  // startRun too, and a zero bound gives up at the first refusal
  const started = await tracker.startRun({ experimentId, logCode: false, logGitMeta: false }).catch((err: unknown) => err);
  expect(started).toBeInstanceOf(LockTimeout);
  const zero = new RuneLog({ path: dir, lockTimeoutMs: 0 });
  await expect(zero.resumeRun(runId)).rejects.toBeInstanceOf(LockTimeout);

  expect(readFileSync(journal).equals(before)).toBe(true);
  expect(holder.alive()).toBe(true);

  // the holder goes away (killed: its lock stays, stale after 10 s by its own bound); a writer with
  // a short stale bound takes over, and the tracker that timed out before is still usable
  await children.kill(holder);
  const again = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  const resumed = await again.resumeRun(runId);
  await Promise.all(Array.from({ length: 5 }, (_, i) => resumed.logMetric("after", i, { step: i })));
  await resumed.end();
  const raw = readRawJournal(journal);
  expect(raw.problems).toEqual([]);
  expect(readFileSync(journal).subarray(0, before.length).equals(before)).toBe(true); // appended after, nothing rewritten
  expect(raw.events.slice(-7).map((e) => e.type)).toEqual(["RunResumed", ...Array(5).fill("MetricsLogged"), "RunEnded"]);
  expect(await new RuneLog(dir).getRun(runId)).toMatchObject({ status: "FINISHED", metrics: { seed: 1, after: 4 } });
});

test("LockTimeout rejects every call queued in the timed-out batch, and the same writer appends normally afterwards", async () => {
  const { experimentId, journal } = await seeded("queued");
  const tracker = new RuneLog({ path: dir, lockTimeoutMs: 300 });
  const run = await tracker.startRun({ experimentId, logCode: false, logGitMeta: false });
  const before = readFileSync(journal);
  const holder = startHolder(journal, 10_000);
  await holder.waitFor((m) => m.locked === holder.pid);

  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => run.logMetric("m", i, { step: i })));
  expect(results.map((r) => r.status)).toEqual(Array(20).fill("rejected"));
  for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(LockTimeout);
  expect(readFileSync(journal).equals(before)).toBe(true);

  // the holder is killed; this tracker's stale bound is the default 10 s, so a second tracker on a
  // 2 s bound takes the lock over first. Then the first one's writer works again.
  await children.kill(holder);
  const cleaner = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  await (await cleaner.startRun({ experimentId, logCode: false, logGitMeta: false })).end();
  await Promise.all(Array.from({ length: 3 }, (_, i) => run.logMetric("m", 100 + i, { step: 100 + i })));
  await run.end();
  const raw = readRawJournal(journal);
  expect(raw.problems).toEqual([]);
  // none of the 20 rejected calls is in the journal; the 3 later ones are, once each
  const values = raw.events.filter((e) => e.type === "MetricsLogged" && e.data.runId === run.runId).map((e) => e.data.metrics.m);
  expect(values).toEqual([100, 101, 102]);
});

test("stale locks taken over again and again by 6 contending writer processes: no call fails, no two writers ever append at once", async () => {
  // Each planted lock is what a holder SIGKILLed long ago leaves behind: the lock directory, with an
  // mtime older than the stale bound. (Back-dating it stands in for waiting the 2 s, so the take-over
  // happens hundreds of times instead of a few.) The writers, all logging, race to take each one over.
  const WRITERS = 6;
  const tracker = new RuneLog({ path: dir, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
  const experimentId = await tracker.getOrCreateExperiment("contended");
  const journal = journalOf(experimentId);
  const lock = `${journal}.lock`;
  mkdirSync(join(dir, "acks"));
  const writers = Array.from({ length: WRITERS }, (_, i) => {
    const id = i + 1;
    const ackFile = join(dir, "acks", `${id}.log`);
    const child = children.start(workerScript(__dirname, "crash-writer"), [dir, "contended", String(id), ackFile, String(STALE_MS), "0"], { CRASH_WRITER_TOLERANT: "1" });
    return { id, ackFile, child };
  });
  for (const w of writers) await w.child.waitFor((m) => m.started !== undefined);

  let planted = 0;
  let stolen = 0; // a lock this process had just taken was removed under it by someone else
  const deadline = Date.now() + 8000;
  while (planted < 200 && Date.now() < deadline) {
    try {
      mkdirSync(lock); // taken, as proper-lockfile takes it: nobody holds the lock now
      try {
        utimesSync(lock, new Date(0), new Date(0)); // … and its holder died long ago
        planted++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        stolen++;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    await sleep(5 + Math.random() * 10);
  }
  // everybody still gets through
  const counts = writers.map((w) => readAcks(w.ackFile).counters.length);
  for (const [i, w] of writers.entries()) {
    const deadline = Date.now() + 30_000;
    while (readAcks(w.ackFile).counters.length < counts[i]! + 20 && Date.now() < deadline && w.child.alive()) await sleep(20);
  }
  for (const w of writers) expect(w.child.alive()).toBe(true);
  await children.killAll();
  const last = await tracker.startRun({ experimentId, logCode: false, logGitMeta: false });
  await last.end();

  const failures = writers.flatMap((w) => w.child.messages.filter((m) => m.failed !== undefined).map((m) => `writer ${w.id}: ${m.error}`));
  const raw = readRawJournal(journal);
  const { problems, acked } = checkWriters(raw.events, writers.map((w) => ({ id: w.id, ackFile: w.ackFile, failed: w.child.messages.filter((m) => m.failed !== undefined).map((m) => m.failed) })));
  process.stderr.write(`stale take-over stress: ${planted} stale locks planted, ${stolen} fresh locks removed under this process, ${failures.length} rejected calls, ${raw.problems.length} bad lines, ${acked} acks\n`);
  expect({
    rejectedCalls: failures.length,
    firstRejections: failures.slice(0, 3),
    freshLocksRemoved: stolen,
    journalProblems: raw.problems.slice(0, 6),
    writerProblems: problems.slice(0, 6),
  }).toEqual({ rejectedCalls: 0, firstRejections: [], freshLocksRemoved: 0, journalProblems: [], writerProblems: [] });
  expect(planted).toBeGreaterThan(0);
  expect((await new RuneLog(dir).verify()).ok).toBe(true);
});

test("lock options are checked: lockStaleMs below proper-lockfile's 2000 floor or lockTimeoutMs not a non-negative integer is InvalidInput", () => {
  for (const lockStaleMs of [1999, 0, -1, 2000.5, "3000", null]) {
    expect(() => new RuneLog({ path: dir, lockStaleMs: lockStaleMs as never })).toThrow(InvalidInput);
  }
  for (const lockTimeoutMs of [-1, 1.5, "500", Infinity, NaN]) {
    expect(() => new RuneLog({ path: dir, lockTimeoutMs: lockTimeoutMs as never })).toThrow(InvalidInput);
  }
  expect(() => new RuneLog({ path: dir, lockStaleMs: 2000, lockTimeoutMs: 0 })).not.toThrow();
});
