/**
 * Feeds a stream of JSON lines into a run: records through the run's ordinary logging calls,
 * everything else to `out` byte for byte. Shared by `runelog exec` and `runelog ingest`.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { ArtifactNotFound, InvalidInput, RuneLogError } from "../errors.js";
import type { ActiveRun } from "../run.js";
import * as validate from "../validate.js";
import { checkRecord, LineSplitter, type RawRecord } from "./lines.js";

/** Log calls in flight before the feed waits for them (the journal commits them in groups meanwhile). */
const MAX_IN_FLIGHT = 2048;

export interface FeedReport {
  lines: number;
  /** Record lines read (logged or rejected). */
  records: number;
  /** Records not logged (bad values, or a logging call that failed). */
  rejected: number;
}

export interface FeedOptions {
  /** Where non-record bytes go. */
  out: Writable;
  /** Told `runelog: line N: <message>` for each record that was not logged. */
  warn: (message: string) => void;
  /** Artifact paths are relative to this folder (the command's working directory). */
  cwd: string;
}

export async function feedLines(input: Readable, run: ActiveRun, options: FeedOptions): Promise<FeedReport> {
  const report: FeedReport = { lines: 0, records: 0, rejected: 0 };
  let inFlight: Array<Promise<void>> = [];
  let calls = 0;
  const rejected = (lines: readonly number[], err: unknown) => {
    report.rejected += lines.length;
    const message = err instanceof RuneLogError || err instanceof Error ? err.message : String(err);
    for (const line of lines) options.warn(`runelog: line ${line}: ${message}`);
  };
  // Calls the journal commits together return one shared promise: it is watched once, with the
  // lines it stands for, instead of once per call (most of exec's garbage).
  let last: { call: Promise<void>; lines: number[] } | null = null;
  const track = (line: number, call: Promise<void>) => {
    calls++;
    if (last?.call === call) {
      last.lines.push(line);
      return;
    }
    const tracked = (last = { call, lines: [line] });
    inFlight.push(call.catch((err) => rejected(tracked.lines, err)));
  };
  const settle = async () => {
    const waiting = inFlight;
    inFlight = [];
    last = null;
    calls = 0;
    await Promise.all(waiting);
  };

  const out = options.out;
  const splitter = new LineSplitter({
    write: (bytes) => out.write(bytes),
    drain: () => new Promise((done) => out.once("drain", done)),
    record: (raw: RawRecord, line: number): void | Promise<void> => {
      if (raw.params === undefined && raw.tags === undefined && raw.artifacts === undefined) {
        // Metrics alone are one logging call, which checks all of it before it logs anything.
        report.records++;
        const metrics = raw.metrics as Record<string, number>;
        const keys = typeof metrics === "object" && metrics !== null && !Array.isArray(metrics) ? Object.keys(metrics) : [];
        // One metric (the common line) takes logMetric, which has less to copy than logMetrics.
        if (keys.length === 1 && typeof metrics[keys[0]!] === "number") {
          try {
            validate.key("metrics key", keys[0]); // named as logMetrics would name it
          } catch (err) {
            rejected([line], err);
            return;
          }
          track(line, run.logMetric(keys[0]!, metrics[keys[0]!]!, metricOptions(raw.step, raw.timestamp)));
        } else track(line, run.logMetrics(metrics, metricOptions(raw.step, raw.timestamp)));
        return calls >= MAX_IN_FLIGHT ? settle() : undefined;
      }
      report.records++;
      let checked;
      try {
        checked = checkRecord(raw);
      } catch (err) {
        rejected([line], err);
        return;
      }
      const log = () => {
        if (checked.params) track(line, run.logParams(checked.params));
        if (checked.metrics) track(line, run.logMetrics(checked.metrics, metricOptions(checked.step, checked.timestamp)));
        if (checked.tags) track(line, run.setTags(checked.tags));
      };
      if (checked.artifacts.length === 0) {
        log();
        return calls >= MAX_IN_FLIGHT ? settle() : undefined;
      }
      // Artifacts: every file must exist before anything of the record is logged, and the record's
      // events keep their place in line order, so this one waits for what came before.
      return (async () => {
        const files = checked.artifacts.map((p) => resolve(options.cwd, p));
        for (const [i, file] of files.entries()) {
          const info = await stat(file).catch(() => null);
          if (!info) return rejected([line], new ArtifactNotFound(checked.artifacts[i]!, "no such file"));
          if (!info.isFile()) return rejected([line], new InvalidInput(`artifacts[${i}]`, `${checked.artifacts[i]} is not a regular file`));
        }
        await settle();
        log();
        for (const file of files) track(line, run.logArtifact(file));
        await settle();
      })();
    },
  });

  for await (const chunk of input) await splitter.push(chunk as Buffer);
  await splitter.end();
  await settle();
  report.lines = splitter.lines;
  return report;
}

function metricOptions(step: unknown, timestamp: unknown): { step?: number; timestamp?: number } | undefined {
  if (step === undefined && timestamp === undefined) return undefined;
  const o: { step?: number; timestamp?: number } = {};
  if (step !== undefined) o.step = step as number;
  if (timestamp !== undefined) o.timestamp = timestamp as number;
  return o;
}
