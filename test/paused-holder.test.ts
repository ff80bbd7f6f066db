/**
 * Issue 8, item 1: a writer paused while it holds the journal lock (SIGSTOP, Ctrl-Z, a VM pause)
 * for longer than the stale bound must not damage the journal, lose or duplicate an acknowledged
 * event, or die when it resumes.
 *
 * Real processes: crash-writers logging into one experiment. With RUNELOG_TEST_PAUSE set, a writer
 * stops itself (SIGSTOP) at random points inside its critical section — right after taking the
 * lock, after stamping its batch, after its write, after updating its state — and says where first.
 * Other rounds stop a writer from outside at a random moment, wherever it is. Each stop lasts past
 * the stale bound while the others keep calling; then SIGCONT. At the end: the raw journal is
 * clean, verify() is ok, and every acknowledged event is there exactly once, in order.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { RuneLog } from "../src/index.js";
import { type Child, checkWriters, Children, readAcks, readRawJournal, removeDir, sleep, tempDir, workerScript } from "./workers/crash-harness.js";

jest.setTimeout(90_000);

const STALE_MS = 2000;
const ROUNDS = 10;

let dir: string;
const children = new Children();
let started: Child[] = [];

beforeEach(() => {
  dir = tempDir("runelog-paused-");
});

afterEach(async () => {
  for (const c of started) c.proc.kill("SIGCONT");
  started = [];
  await children.killAll();
  removeDir(dir);
});

const isStopped = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
  } catch {
    return false;
  }
};

test(`writers paused inside and outside their critical section for longer than the stale bound (${ROUNDS} rounds): journal clean, every acknowledged event exactly once, nobody dies`, async () => {
  const WRITERS = 4;
  const tracker = new RuneLog({ path: dir, lockStaleMs: STALE_MS });
  const experimentId = await tracker.getOrCreateExperiment("paused");
  const journal = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);
  mkdirSync(join(dir, "acks"));
  const writers = Array.from({ length: WRITERS }, (_, i) => {
    const id = i + 1;
    const ackFile = join(dir, "acks", `${id}.log`);
    // Writers 1 and 2 stop themselves inside the critical section now and then; 3 and 4 never do.
    const env = id <= 2 ? { RUNELOG_TEST_PAUSE: "0.002" } : {};
    const child = children.start(workerScript(__dirname, "crash-writer"), [dir, "paused", String(id), ackFile, String(STALE_MS), "0"], env);
    started.push(child);
    return { id, ackFile, child };
  });
  // Writers 1 and 2 may stop themselves (holding the lock) before the others have begun, which would
  // keep those waiting for ever: continue everyone until every writer has started.
  const startBy = Date.now() + 60_000;
  while (!writers.every((w) => w.child.messages.some((m) => m.started !== undefined))) {
    for (const w of writers) if (!w.child.alive()) throw new Error(`writer ${w.id} died before it started: ${w.child.stderr()}`);
    if (Date.now() > startBy) throw new Error("the writers did not all start within 60 s");
    for (const w of writers) w.child.proc.kill("SIGCONT");
    await sleep(20);
  }

  const where: string[] = [];
  let outside = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let stopped: typeof writers;
    if (round % 2 === 0) {
      // wait for a writer to stop itself inside its critical section
      const seen = writers.map((w) => w.child.messages.filter((m) => m.pausing !== undefined).length);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !writers.some((w, i) => w.child.messages.filter((m) => m.pausing !== undefined).length > seen[i]! && isStopped(w.child.pid))) await sleep(5);
      stopped = writers.filter((w) => isStopped(w.child.pid));
      for (const w of stopped) where.push(w.child.messages.filter((m) => m.pausing !== undefined).at(-1)?.where ?? "?");
    } else {
      // stop one from outside, at whatever moment this is
      await sleep(Math.random() * 300);
      const w = writers[Math.floor(Math.random() * WRITERS)]!;
      w.child.proc.kill("SIGSTOP");
      stopped = [w];
      outside++;
    }
    const before = writers.map((w) => readAcks(w.ackFile).counters.length);
    await sleep(STALE_MS + 700); // past the stale bound, the others calling all along
    // everyone gets going again (a writer that stopped itself meanwhile is continued too)
    const deadline = Date.now() + 15_000;
    do {
      for (const w of writers) w.child.proc.kill("SIGCONT");
      await sleep(20);
    } while (Date.now() < deadline && writers.some((w, i) => readAcks(w.ackFile).counters.length <= before[i]!));
    for (const w of writers) expect({ writer: w.id, alive: w.child.alive(), stderr: w.child.stderr() }).toEqual({ writer: w.id, alive: true, stderr: "" });
  }
  for (const w of writers) w.child.proc.kill("SIGCONT");
  await children.killAll();

  const raw = readRawJournal(journal);
  const { problems, acked } = checkWriters(raw.events, writers.map((w) => ({ id: w.id, ackFile: w.ackFile })));
  process.stderr.write(`paused holders: ${ROUNDS} rounds (${where.length} stops inside the critical section: ${where.join(", ")}; ${outside} from outside), ${acked} acks, ${raw.events.length} events, ${raw.problems.length} bad lines\n`);
  expect({ journal: raw.problems.slice(0, 6), writers: problems.slice(0, 6) }).toEqual({ journal: [], writers: [] });
  expect(where.length).toBeGreaterThanOrEqual(ROUNDS / 2 - 1);
  expect(acked).toBeGreaterThan(0);
  expect((await new RuneLog(dir).verify()).ok).toBe(true);
});
