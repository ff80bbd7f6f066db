/**
 * Issue 3, fault 3: a run whose process died without an end event shows KILLED (pid and host are
 * recorded at start; a dead pid on this host means killed), and a run from another host stays
 * RUNNING until its own end. Runs of other hosts are written straight into the journal through the
 * journal API, since the public API always records this host.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { RuneLog } from "../src/index.js";
import { draft, type EventMap, newId } from "../src/events.js";
import { DEFAULT_LOCK_OPTIONS, FileJournal } from "../src/store/file/journal/index.js";
import { Children, readRawJournal, removeDir, tempDir, workerScript } from "./workers/crash-harness.js";

jest.setTimeout(60_000);

/** Above this machine's pid_max (and Linux's hard limit of 2^22): no process can have it. */
const DEAD_PID = 4_194_304 + 12_345;
const OTHER_HOST = "elsewhere.example";

let dir: string;
const children = new Children();

beforeEach(() => {
  dir = tempDir("runelog-killed-");
});

afterEach(async () => {
  await children.killAll();
  removeDir(dir);
});

const journalOf = (experimentId: string) => join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);

function statusColumn(table: { objects(): object[] }, runId: string): unknown {
  return (table.objects() as Array<{ runId: string; status: string }>).find((r) => r.runId === runId)?.status;
}

test("a run whose process was SIGKILLed shows KILLED in getRun, getExperimentRuns and loadResults; RUNNING while the process lived", async () => {
  const child = children.start(workerScript(__dirname, "crash-run"), [dir, "training"]);
  const { runId, experimentId, pid } = await child.waitFor((m) => typeof m.runId === "string");
  expect(pid).toBe(child.pid);
  const tracker = new RuneLog(dir);

  // alive: RUNNING
  expect(await tracker.getRun(runId)).toMatchObject({ status: "RUNNING", metrics: { loss: 0.5 }, endTime: null });
  expect((await tracker.getExperimentRuns(experimentId)).map((r) => [r.runId, r.status])).toEqual([[runId, "RUNNING"]]);
  expect(statusColumn(await tracker.loadResults(experimentId), runId)).toBe("RUNNING");

  await children.kill(child); // and reaped: a zombie would still answer kill(pid, 0)
  const journal = journalOf(experimentId);
  const bytes = readFileSync(journal);

  for (const reader of [tracker, new RuneLog(dir)]) {
    expect(await reader.getRun(runId)).toMatchObject({ status: "KILLED", metrics: { loss: 0.5 } });
    expect((await reader.getRunDetails(runId))!.status).toBe("KILLED");
    expect((await reader.getExperimentRuns(experimentId)).map((r) => [r.runId, r.status])).toEqual([[runId, "KILLED"]]);
    expect(statusColumn(await reader.loadResults(experimentId), runId)).toBe("KILLED");
    expect(statusColumn(await reader.loadResults("training"), runId)).toBe("KILLED");
  }
  // KILLED is what the reads conclude; they write nothing
  expect(readFileSync(journal).equals(bytes)).toBe(true);
  expect(readRawJournal(journal).events.filter((e) => e.type === "RunEnded")).toEqual([]);

  // resumed by a live process (this one): RUNNING again, and its own end is final
  const resumed = await tracker.resumeRun(runId);
  expect((await tracker.getRun(runId))!.status).toBe("RUNNING");
  await resumed.end();
  expect((await new RuneLog(dir).getRun(runId))!.status).toBe("FINISHED");
});

test("several runs killed at once among live and finished ones: each shows its own status", async () => {
  const tracker = new RuneLog(dir);
  const doomed = [0, 1, 2].map(() => children.start(workerScript(__dirname, "crash-run"), [dir, "mixed"]));
  const survivor = children.start(workerScript(__dirname, "crash-run"), [dir, "mixed"]);
  const ids = await Promise.all([...doomed, survivor].map((c) => c.waitFor((m) => typeof m.runId === "string")));
  const finished = await tracker.startRun({ experimentName: "mixed", logCode: false, logGitMeta: false });
  await finished.end();
  const failed = await tracker.startRun({ experimentName: "mixed", logCode: false, logGitMeta: false });
  await failed.end("FAILED");
  await Promise.all(doomed.map((c) => children.kill(c)));

  const experimentId = ids[0].experimentId as string;
  const status = new Map((await tracker.getExperimentRuns(experimentId)).map((r) => [r.runId, r.status]));
  expect(status.size).toBe(6);
  for (const { runId } of ids.slice(0, 3)) expect(status.get(runId)).toBe("KILLED");
  expect(status.get(ids[3].runId)).toBe("RUNNING");
  expect(status.get(finished.runId)).toBe("FINISHED");
  expect(status.get(failed.runId)).toBe("FAILED");
});

describe("runs written by other processes and hosts (through the journal API)", () => {
  let tracker: RuneLog;
  let experimentId: string;
  let journal: FileJournal;
  const here = hostname();

  beforeEach(async () => {
    tracker = new RuneLog(dir);
    experimentId = await tracker.getOrCreateExperiment("hosts");
    journal = new FileJournal(journalOf(experimentId), `experiments/${experimentId}.ndjson`, { lock: DEFAULT_LOCK_OPTIONS, fsync: false });
  });

  async function started(host: string, pid: number): Promise<string> {
    const runId = newId();
    const data: EventMap["RunStarted"] = { runId, experimentId, parentRunId: null, pid, host, tags: {}, git: null, env: null };
    await journal.append([draft("RunStarted", data), draft("MetricsLogged", { runId, metrics: { m: 1 }, step: 0, timestamp: Date.now() })]);
    return runId;
  }

  const statusOf = async (runId: string) => (await new RuneLog(dir).getRun(runId))!.status;

  test("preconditions: the dead pid is dead here", () => {
    expect(() => process.kill(DEAD_PID, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });

  test("another host's run stays RUNNING (its pid means nothing here) until its own end", async () => {
    const runId = await started(OTHER_HOST, DEAD_PID);
    expect(await statusOf(runId)).toBe("RUNNING");
    expect((await tracker.getExperimentRuns(experimentId)).find((r) => r.runId === runId)!.status).toBe("RUNNING");
    expect(statusColumn(await tracker.loadResults(experimentId), runId)).toBe("RUNNING");
    await journal.append([draft("RunEnded", { runId, status: "FINISHED" })]);
    expect(await statusOf(runId)).toBe("FINISHED");
    expect((await tracker.getRun(runId))!.status).toBe("FINISHED");
  });

  test("this host with a dead pid is KILLED; this host with a live pid is RUNNING", async () => {
    const dead = await started(here, DEAD_PID);
    const live = await started(here, process.pid);
    expect(await statusOf(dead)).toBe("KILLED");
    expect(await statusOf(live)).toBe("RUNNING");
    expect(statusColumn(await tracker.loadResults("hosts"), dead)).toBe("KILLED");
    expect(statusColumn(await tracker.loadResults("hosts"), live)).toBe("RUNNING");
  });

  test("the latest start or resume decides whose process counts", async () => {
    const runId = await started(here, DEAD_PID);
    expect(await statusOf(runId)).toBe("KILLED");
    // resumed on another host: its process there is not ours to judge
    await journal.append([draft("RunResumed", { runId, pid: DEAD_PID, host: OTHER_HOST })]);
    expect(await statusOf(runId)).toBe("RUNNING");
    // resumed here again, by a process that has since died
    await journal.append([draft("RunResumed", { runId, pid: DEAD_PID, host: here })]);
    expect(await statusOf(runId)).toBe("KILLED");
    // an explicit end wins over everything
    await journal.append([draft("RunEnded", { runId, status: "FAILED" })]);
    expect(await statusOf(runId)).toBe("FAILED");
  });

  test("a run ended KILLED explicitly is KILLED with an end time, even while its process lives", async () => {
    const runId = await started(here, process.pid);
    await journal.append([draft("RunEnded", { runId, status: "KILLED" })]);
    const run = await tracker.getRun(runId);
    expect(run!.status).toBe("KILLED");
    expect(run!.endTime).not.toBeNull();
  });
});
