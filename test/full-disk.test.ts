/**
 * Issue 8, item 2: a batch that half reached the disk is cut back before its calls reject — a
 * rejected call leaves no event behind, a resolved call's event is there.
 *
 * Two ways to fail a write: a real full disk (a small tmpfs mounted for the test: needs root, which
 * CI and this machine have), and an injected failure (fs.writeSync writes part of the bytes, then
 * throws EIO), which runs anywhere.
 */
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";
import { checkRawJournal } from "./workers/harness.js";

jest.setTimeout(30_000);

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-fulldisk-");
});
afterEach(() => {
  try {
    execFileSync("umount", [dir], { stdio: "ignore" });
  } catch {
    // not mounted
  }
  removeDir(dir);
});

/** Metric values logged by run `runId` in the journal's raw bytes. */
function valuesIn(journal: string, runId: string): number[] {
  const { events, problems, tail } = checkRawJournal(journal);
  expect(problems).toEqual([]);
  expect(tail.length).toBe(0);
  return events.filter((e) => e.type === "MetricsLogged" && e.data.runId === runId).map((e) => e.data.metrics.m);
}

async function logBatch(run: { logMetric(k: string, v: number, o: { step: number }): Promise<void> }, from: number, n: number) {
  return Promise.allSettled(Array.from({ length: n }, (_, i) => run.logMetric("m", from + i, { step: from + i })));
}

test("on a full disk (a real tmpfs), a batch that half fits rejects every call and leaves none of its events; after space is freed the same run logs on", async () => {
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]); // root only: this test needs a real full disk
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: "full", logCode: false, logGitMeta: false });
  expect((await logBatch(run, 0, 10)).every((r) => r.status === "fulfilled")).toBe(true);
  const journal = join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`);
  const before = fs.readFileSync(journal);

  // Fill the disk but for ~60 KB: the next batch (1000 lines, ~150 KB) starts to fit, then does not.
  const filler = join(dir, "filler");
  const free = () => fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize;
  fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 60 * 1024)));
  expect(free()).toBeLessThan(100 * 1024);
  const results = await logBatch(run, 10, 1000);
  expect(results.map((r) => r.status)).toEqual(Array(1000).fill("rejected"));
  expect((results[0] as PromiseRejectedResult).reason.code).toBe("ENOSPC");
  expect(fs.readFileSync(journal).equals(before)).toBe(true); // cut back to the batch's start

  fs.unlinkSync(filler);
  expect((await logBatch(run, 2000, 5)).every((r) => r.status === "fulfilled")).toBe(true);
  await run.end();
  expect(valuesIn(journal, run.runId)).toEqual([...Array.from({ length: 10 }, (_, i) => i), 2000, 2001, 2002, 2003, 2004]);
  expect((await new RuneLog(dir).verify()).ok).toBe(true);
});

test("a write that fails after part of the batch reached the file (injected: a short write, then EIO) is cut back before its calls reject", async () => {
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: "eio", logCode: false, logGitMeta: false });
  await Promise.all(Array.from({ length: 3 }, (_, i) => run.logMetric("m", i, { step: i })));
  const journal = join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`);
  const before = fs.readFileSync(journal);

  const real = fs.writeSync;
  let failed = 0;
  const spy = jest.spyOn(fs, "writeSync").mockImplementation(((fd: number, buf: Buffer, offset?: number, length?: number) => {
    if (failed === 0 && Buffer.isBuffer(buf) && (length ?? buf.length) > 4096) {
      failed++;
      const wrote = real(fd, buf, offset ?? 0, Math.floor((length ?? buf.length) / 2)); // half of the batch lands…
      expect(wrote).toBeGreaterThan(0);
      throw Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" }); // … then the disk fails
    }
    return real(fd, buf as never, offset as never, length as never);
  }) as never);
  let results;
  try {
    results = await logBatch(run, 3, 200);
  } finally {
    spy.mockRestore();
  }
  expect(failed).toBe(1);
  expect(results.map((r) => r.status)).toEqual(Array(200).fill("rejected"));
  expect((results[0] as PromiseRejectedResult).reason.code).toBe("EIO");
  expect(fs.readFileSync(journal).equals(before)).toBe(true);

  expect((await logBatch(run, 500, 2)).every((r) => r.status === "fulfilled")).toBe(true);
  await run.end();
  expect(valuesIn(journal, run.runId)).toEqual([0, 1, 2, 500, 501]);
});
