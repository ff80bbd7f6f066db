/**
 * tail read: the replay journal open in a warm tracker (one process); another process appends one
 * metric event to a run; then the reader times getRun of that run and checks it sees the new value.
 * Repeated `tailRounds` times; median and p99. The limit beside it: fstat + read the new bytes + JSON.parse.
 */
import { Child, type BenchResult, type Check, log, machine, median, now, percentile, QUICK, round, sizes } from "./lib.js";
import type { ReplayStore } from "./replay.js";

export async function tailBench(store: ReplayStore): Promise<BenchResult> {
  const t0 = now();
  const startedAt = new Date().toISOString();
  const runId = store.runIds[store.runIds.length - 1]!;
  log(`tail: warming a reader on ${store.events.toLocaleString("en")} events, then ${sizes.tailRounds} appends from another process`);
  const reader = new Child("child.js");
  const writer = new Child("child.js");
  try {
    // The writer resumes the run (one RunResumed event) before the reader notes where the file ends.
    writer.send({ mode: "tail-writer", store: store.dir, runId });
    await writer.next();
    reader.send({ mode: "tail-reader", store: store.dir, runId, file: store.file });
    await reader.next();
    const ms: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < sizes.tailRounds; i++) {
      writer.send({ value: i });
      await writer.next();
      reader.send({ expect: i });
      const answer = await reader.next<{ ms: number; rawMs: number; ok: boolean; seen: unknown; newLines: number }>();
      if (!answer.ok) throw new Error(`tail read ${i}: getRun saw ${JSON.stringify(answer.seen)} (expected ${i}) after ${answer.newLines} new line(s) (expected 1)`);
      ms.push(answer.ms);
      rawMs.push(answer.rawMs);
    }
    await Promise.all([reader.close(), writer.close()]);
    const sorted = [...ms].sort((a, b) => a - b);
    const med = median(ms);
    const p99 = percentile(sorted, 99);
    const data = {
      journalEvents: store.events,
      rounds: ms.length,
      getRunMs: { median: round(med, 3), p99: round(p99, 3), max: round(sorted[sorted.length - 1]!, 3), samples: ms.map((x) => round(x, 3)) },
      rawMs: { median: round(median(rawMs), 3), p99: round(percentile([...rawMs].sort((a, b) => a - b), 99), 3) },
      note: "the writer is another process (it resumed the run once before the rounds); every getRun is checked to show the value just appended",
    };
    const checks: Check[] = [
      { bench: "tail", what: "getRun after one appended event (median)", measured: `${med.toFixed(2)} ms (p99 ${p99.toFixed(2)}; raw read+parse ${data.rawMs.median.toFixed(3)} ms)`, target: "≤ 5 ms", pass: med <= 5 },
    ];
    return { bench: "tail", quick: QUICK, machine: machine(), startedAt, durationMs: Math.round(now() - t0), data, checks };
  } catch (err) {
    reader.proc.kill();
    writer.proc.kill();
    throw err;
  }
}
