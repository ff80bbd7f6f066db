/**
 * One ingest worker (forked by bench/ingest.ts). It does all its setup first — opens the tracker
 * and starts its run, or opens the raw file — says "ready", waits for "go", and times only the work:
 *
 *   ours-batch   `count` logMetric calls fired `batch` at a time, each batch awaited together
 *   ours-single  `count` logMetric calls, each awaited; every call's latency is recorded
 *   raw          `count` lines of `lineBytes` bytes, one writeSync each on a held O_APPEND fd, no lock
 *
 * With `warm`, it first does the same work once, untimed, into a scratch file or store of its own
 * (removed before "ready"), so the timed work runs in code V8 has already optimised — what a
 * long-running process logs with — instead of mostly in its interpreter.
 *
 * It answers {start, end} (monotonic ms, comparable across processes) and, for singles, latencies.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { type ActiveRun, RuneLog } from "../src/index.js";
import { firstMessage, now, reply, tempStore } from "./lib.js";

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
  /** Do the same work once, untimed, into a scratch file or store first. */
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
    if (task.warm) {
      const scratch = tempStore("ingest-warm-raw");
      const fd = openSync(join(scratch.dir, "raw.ndjson"), "a");
      writeLines(fd, line, task.count);
      closeSync(fd);
      scratch.remove();
    }
    const fd = openSync(task.file, "a");
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

  if (task.warm) {
    const scratch = tempStore("ingest-warm");
    const tracker = new RuneLog(scratch.dir);
    const run = await tracker.startRun({ experimentName: "warm-up", logGitMeta: false, logCode: false });
    await logCalls(run, task);
    await run.end();
    scratch.remove();
  }
  const tracker = new RuneLog(task.store);
  const run = await tracker.startRun({ experimentId: task.experimentId, logGitMeta: false, logCode: false, tags: { worker: String(task.worker) } });
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
