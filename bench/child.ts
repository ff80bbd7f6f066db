/**
 * The fresh processes the read benchmarks time in (so RSS and heap start clean). Forked by
 * bench/replay.ts, bench/tail.ts and bench/results.ts; the first IPC message says what to do.
 *
 *   replay-ours    cold open of a store to the first getRun
 *   replay-raw     readFileSync + split + JSON.parse of the same journal (the limit)
 *   tail-reader    a warm tracker: on each "read", times getRun (and the raw limit for the new bytes)
 *   tail-writer    another tracker: on each "append", logs one metric into the run and answers
 *   results        loadResults cold, then warm; then the raw limits (aq.from of flat objects, aq.table of columns)
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import * as aq from "arquero";
import { RuneLog } from "../src/index.js";
import { firstMessage, now, reply } from "./lib.js";

type Task =
  | { mode: "replay-ours"; store: string; runId: string }
  | { mode: "replay-raw"; file: string }
  | { mode: "tail-reader"; store: string; runId: string; file: string }
  | { mode: "tail-writer"; store: string; runId: string }
  | { mode: "results"; store: string; experimentId: string; warmRepeats: number; runs: number };

function memory() {
  return { maxRssBytes: process.resourceUsage().maxRSS * 1024, rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed };
}

async function main(): Promise<void> {
  const task = await firstMessage<Task>();
  const before = memory(); // after imports, before any work: the idle process's own footprint
  switch (task.mode) {
    case "replay-ours": {
      const t0 = now();
      const tracker = new RuneLog(task.store);
      const run = await tracker.getRun(task.runId);
      const ms = now() - t0;
      if (!run) throw new Error(`run ${task.runId} not found`);
      await reply({ ms, before, after: memory(), metrics: Object.keys(run.metrics).length });
      return;
    }
    case "replay-raw": {
      const t0 = now();
      const text = readFileSync(task.file, "utf8");
      const lines = text.split("\n");
      let events = 0;
      for (const line of lines) {
        if (line.length === 0) continue;
        JSON.parse(line);
        events++;
      }
      const ms = now() - t0;
      await reply({ ms, events, before, after: memory() });
      return;
    }
    case "tail-reader": {
      const tracker = new RuneLog(task.store);
      await tracker.getRun(task.runId); // warm: the whole journal folded once
      const fd = openSync(task.file, "r");
      let offset = fstatSync(fd).size;
      await reply({ ready: true });
      process.on("message", async (m: { expect: number }) => {
        const t0 = now();
        const run = await tracker.getRun(task.runId);
        const ms = now() - t0;
        // The limit: notice growth, read the new bytes, parse them.
        const t1 = now();
        const size = fstatSync(fd).size;
        const buf = Buffer.allocUnsafe(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        const parsed = buf.toString("utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
        offset = size;
        const rawMs = now() - t1;
        const seen = run?.metrics.tail;
        await reply({ ms, rawMs, ok: seen === m.expect && parsed.length === 1, seen, newLines: parsed.length });
      });
      process.once("disconnect", () => closeSync(fd));
      return;
    }
    case "tail-writer": {
      const tracker = new RuneLog(task.store);
      const run = await tracker.resumeRun(task.runId);
      await reply({ ready: true });
      process.on("message", async (m: { value: number }) => {
        await run.logMetric("tail", m.value, { step: m.value });
        await reply({ done: true });
      });
      return;
    }
    case "results": {
      const t0 = now();
      const tracker = new RuneLog(task.store);
      const cold = await tracker.loadResults(task.experimentId);
      const coldMs = now() - t0;
      const warmMs: number[] = [];
      let table = cold;
      for (let i = 0; i < task.warmRepeats; i++) {
        const t = now();
        table = await tracker.loadResults(task.experimentId);
        warmMs.push(now() - t);
      }
      if (table.numRows() !== task.runs) throw new Error(`loadResults has ${table.numRows()} rows, expected ${task.runs}`);
      const names = table.columnNames();
      const afterOurs = memory();
      // The limits, on data of the same shape: flat row objects (aq.from) and prebuilt columns (aq.table).
      const objects = table.objects() as Array<Record<string, unknown>>;
      const columns: Record<string, unknown[]> = {};
      for (const name of names) columns[name] = objects.map((o) => o[name]);
      const t1 = now();
      const fromObjects = aq.from(objects);
      const fromMs = now() - t1;
      const t2 = now();
      const fromColumns = aq.table(columns);
      const tableMs = now() - t2;
      if (fromObjects.numRows() !== task.runs || fromColumns.numCols() !== names.length) throw new Error("raw tables have the wrong shape");
      await reply({ coldMs, warmMs, rows: table.numRows(), columns: names.length, rawFromObjectsMs: fromMs, rawTableFromColumnsMs: tableMs, before, after: afterOurs });
      return;
    }
  }
}

main().catch((err) => {
  process.stderr.write(`bench child: ${err?.stack ?? err}\n`);
  process.exit(1);
});
