/**
 * Issue 8, item 5: a directory where a journal file goes. verify() reports that journal (it does
 * not throw), reads and writes throw JournalCorrupted naming the file, and `runelog verify` names it.
 */
import { mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { JournalCorrupted, RuneLog } from "../src/index.js";
import { DEFAULT_LOCK_OPTIONS, FileJournal } from "../src/journal/index.js";
import { cli } from "./helpers/cli.js";
import { removeDir, tempDir } from "./helpers/store.js";
import { tagged } from "./journal.contract.js";

let dir: string;
let experimentId: string;
let runId: string;
const display = () => `experiments/${experimentId}.ndjson`;

beforeEach(async () => {
  dir = tempDir("runelog-notafile-");
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: "dir-in-place", logCode: false, logGitMeta: false });
  await run.logMetric("m", 1);
  await run.end();
  ({ experimentId, runId } = run);
  const other = await tracker.startRun({ experimentName: "fine", logCode: false, logGitMeta: false });
  await other.end();
  const journal = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);
  renameSync(journal, `${journal}.moved`);
  mkdirSync(journal);
});
afterEach(() => removeDir(dir));

test("verify() reports the journal that is a directory as a problem, and checks the others", async () => {
  const report = await new RuneLog(dir).verify();
  expect(report.ok).toBe(false);
  const bad = report.journals.find((j) => j.file.endsWith(display()));
  expect(bad).toEqual({ file: expect.stringContaining(display()), events: 0, problems: [{ line: 0, offset: 0, kind: "not-a-file" }] });
  expect(report.journals.filter((j) => j.problems.length === 0).length).toBeGreaterThanOrEqual(2); // catalog and the other experiment
});

test("reads and appends throw JournalCorrupted naming the file, not a raw EISDIR", async () => {
  const tracker = new RuneLog(dir);
  for (const call of [() => tracker.getRun(runId), () => tracker.loadResults(experimentId), () => tracker.resumeRun(runId)]) {
    const err = await call().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(JournalCorrupted);
    expect((err as JournalCorrupted).file).toContain(display());
    expect((err as Error).message).toContain(`${display()} is not a file`);
  }
});

test("an append to it rejects with JournalCorrupted naming the file, and leaves no lock behind", async () => {
  const file = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);
  const journal = new FileJournal(file, display(), { lock: DEFAULT_LOCK_OPTIONS, fsync: false });
  const err = await journal.append([tagged("x")]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JournalCorrupted);
  expect((err as JournalCorrupted).kind).toBe("not-a-file");
  expect(require("node:fs").existsSync(`${file}.lock`)).toBe(false);
});

test("runelog verify names the journal, says what is wrong, and exits 1", async () => {
  const r = await cli(["--path", dir, "verify"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(`${display()} not-a-file`);
  expect(r.stdout).toMatch(/not-a-file: something other than a file/);
  expect(r.stderr).toBe("runelog: verify found damaged journal lines\n");
  expect(r.stdout + r.stderr).not.toContain("EISDIR");
});
