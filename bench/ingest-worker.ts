/**
 * One ingest worker (forked by bench/ingest.ts). It does all its setup first — opens the tracker
 * and starts its run, or opens the raw file — says "ready", waits for "go", and times only the work:
 *
 *   ours-batch   `count` logMetric calls fired `batch` at a time, each batch awaited together
 *   ours-single  `count` logMetric calls, each awaited; every call's latency is recorded
 *   raw          `count` lines of `lineBytes` bytes, one writeSync each on a held O_APPEND fd, no lock
 *
 * With `warm`, it first does the same work once, untimed, into the same run or the same file, so
 * the timed work is a slice of a long-running process's steady state: code V8 has optimised for
 * this very store and journal, instead of code still mostly in its interpreter (a fresh process) or
 * being optimised again (a warm-up elsewhere: opening another store sends V8 back to re-optimise).
 *
 * It answers {start, end} (monotonic ms, comparable across processes) and, for singles, latencies.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { type ActiveRun, RuneLog } from "../src/index.js";
import { firstMessage, now, reply } from "./lib.js";

export interface IngestTask {
  mode: "ours-batch" | "ours-single" | "raw";
  store: string;
  experimentId: string;
  /** raw mode: the file to append to. */
  file: string;
  count: number;
  batch: number;
  lineBytes: number;
  worker: number;
  /** Do the same work once, untimed, into the same run or file first. */
  warm?: boolean;
}

export interface IngestReport {
  start: number;
  end: number;
  runId: string | null;
  latencies?: number[];
}

async function main(): Promise<void> {
  const task = await firstMessage<IngestTask>();
  const go = () => new Promise<void>((resolve) => process.once("message", () => resolve()));
  if (task.mode === "raw") {
    const line = Buffer.alloc(task.lineBytes, "x");
    const head = Buffer.from(`{"worker":${task.worker},"pad":"`);
    head.copy(line);
    line.write('"}\n', task.lineBytes - 3);
    const fd = openSync(task.file, "a");
    if (task.warm) writeLines(fd, line, task.count);
    const started = go();
    await reply({ ready: true });
    await started;
    const start = now();
    writeLines(fd, line, task.count);
    const end = now();
    closeSync(fd);
    await reply({ start, end, runId: null } satisfies IngestReport);
    return;
  }

  const tracker = new RuneLog(task.store);
  const run = await tracker.startRun({ experimentId: task.experimentId, logGitMeta: false, logCode: false, tags: { worker: String(task.worker) } });
  if (task.warm) await logCalls(run, task);
  const started = go();
  await reply({ ready: true });
  await started;
  const start = now();
  const latencies = await logCalls(run, task);
  const end = now();
  await run.end();
  await reply({ start, end, runId: run.runId, latencies } satisfies IngestReport);
}

function writeLines(fd: number, line: Buffer, count: number): void {
  for (let i = 0; i < count; i++) writeSync(fd, line);
}

/** The timed work of ours-batch and ours-single; returns the singles' latencies. */
async function logCalls(run: ActiveRun, task: IngestTask): Promise<number[] | undefined> {
  if (task.mode === "ours-batch") {
    for (let i = 0; i < task.count; ) {
      const pending: Promise<void>[] = [];
      for (const stop = Math.min(task.count, i + task.batch); i < stop; i++) pending.push(run.logMetric("loss", 1 / (i + 1), { step: i }));
      await Promise.all(pending);
    }
    return undefined;
  }
  const latencies = new Array<number>(task.count);
  for (let i = 0; i < task.count; i++) {
    const t = now();
    await run.logMetric("loss", 1 / (i + 1), { step: i });
    latencies[i] = now() - t;
  }
  return latencies;
}

main().catch((err) => {
  process.stderr.write(`ingest-worker: ${err?.stack ?? err}\n`);
  process.exit(1);
});
