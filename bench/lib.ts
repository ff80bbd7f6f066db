/**
 * Shared by the benchmarks: sizes (full or quick), the machine, temp stores, child processes with a
 * start barrier, timing, percentiles, synthetic journals, and the result record every bench returns.
 */
import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { draft, type EventMap, type EventType } from "../src/events.js";
import { type EventDraft, GENESIS_HASH, layOutLines, sealLines } from "../src/store/line.js";
import { RuneLog } from "../src/index.js";

/** BENCH_QUICK=1 or --quick: every size about 10× smaller, for a smoke run. */
export const QUICK = process.env.BENCH_QUICK === "1" || process.argv.includes("--quick");

/** The folder of the compiled bench scripts (dist/bench). */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

export const sizes = QUICK
  ? { ingestWorkers: [1, 4, 8], ingestCalls: 2_000, singleCalls: 500, ingestBatch: 1_000, ingestWarmRepeats: 1, replayEvents: 100_000, replayRuns: 30, replayRepeats: 2, tailRounds: 30, resultsRuns: 1_000, resultsWarmRepeats: 5 }
  : { ingestWorkers: [1, 4, 8], ingestCalls: 20_000, singleCalls: 5_000, ingestBatch: 1_000, ingestWarmRepeats: 3, replayEvents: 1_000_000, replayRuns: 300, replayRepeats: 3, tailRounds: 50, resultsRuns: 10_000, resultsWarmRepeats: 5 };

// Overrides for investigating one bench (not needed for a normal run).
if (process.env.BENCH_INGEST_CALLS) sizes.ingestCalls = Number(process.env.BENCH_INGEST_CALLS);
if (process.env.BENCH_SINGLE_CALLS) sizes.singleCalls = Number(process.env.BENCH_SINGLE_CALLS);
if (process.env.BENCH_INGEST_WORKERS) sizes.ingestWorkers = process.env.BENCH_INGEST_WORKERS.split(",").map(Number);

/** BENCH_PROFILE=<dir>: every child process writes a V8 CPU profile there (node --cpu-prof). */
export const CHILD_EXEC_ARGV = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];

export interface Machine {
  cpuModel: string;
  cpuCount: number;
  node: string;
  platform: string;
  totalMemoryMB: number;
  loadAverageAtStart?: number[];
}

export function machine(): Machine {
  const c = cpus();
  return { cpuModel: c[0]?.model ?? "unknown", cpuCount: c.length, node: process.version, platform: `${process.platform}-${process.arch}`, totalMemoryMB: Math.round(totalmem() / 2 ** 20) };
}

/** One line of the summary table: a measured value beside its target. */
export interface Check {
  bench: string;
  what: string;
  /** The measured value as a person reads it (e.g. "0.62 × raw", "3.1 ms"). */
  measured: string;
  target: string;
  pass: boolean;
}

export interface BenchResult {
  bench: string;
  quick: boolean;
  machine: Machine;
  startedAt: string;
  durationMs: number;
  /** Everything measured, raw side and ours side, so a reader can recompute every ratio. */
  data: Record<string, unknown>;
  checks: Check[];
}

/** Monotonic milliseconds, comparable across processes on one machine (CLOCK_MONOTONIC on Linux). */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function tempStore(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `runelog-bench-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function mb(bytes: number): number {
  return round(bytes / 2 ** 20, 1);
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

// ------------------------------------------------------------------ child processes

/** A forked bench script talking over IPC; `next()` waits for its next message. */
export class Child {
  readonly proc: ChildProcess;
  private readonly inbox: unknown[] = [];
  private waiting: ((m: unknown) => void) | null = null;
  private failed: Error | null = null;
  private failWaiter: ((e: Error) => void) | null = null;
  readonly exited: Promise<number | null>;

  constructor(script: string, args: string[] = [], execArgv: string[] = CHILD_EXEC_ARGV) {
    this.proc = fork(join(BENCH_DIR, script), args, { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv });
    this.proc.on("message", (m) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = this.failWaiter = null;
        w(m);
      } else this.inbox.push(m);
    });
    this.exited = new Promise((resolve) =>
      this.proc.on("exit", (code, signal) => {
        if (code !== 0) {
          this.failed = new Error(`${script} ${args.join(" ")} exited with ${code ?? signal}`);
          this.failWaiter?.(this.failed);
        }
        resolve(code);
      }),
    );
  }

  next<T = Record<string, unknown>>(): Promise<T> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift() as T);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<T>((resolve, reject) => {
      this.waiting = resolve as (m: unknown) => void;
      this.failWaiter = reject;
    });
  }

  send(m: unknown): void {
    this.proc.send(m as object);
  }

  async close(): Promise<void> {
    if (this.proc.connected) this.proc.disconnect();
    const code = await this.exited;
    if (code !== 0) throw this.failed ?? new Error(`child exited with ${code}`);
  }
}

/** Runs a one-shot child: sends it `task`, returns its one answer, waits for it to exit. */
export async function runChild<T = Record<string, unknown>>(script: string, task: unknown, execArgv: string[] = CHILD_EXEC_ARGV): Promise<T> {
  const child = new Child(script, [], execArgv);
  child.send(task);
  const answer = await child.next<T>();
  await child.close();
  return answer;
}

/** For child scripts: the first message from the parent. */
export function firstMessage<T>(): Promise<T> {
  return new Promise((resolve) => process.once("message", (m) => resolve(m as T)));
}

export function reply(m: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send!(m as object, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

// ------------------------------------------------------------------ synthetic journals

/**
 * Writes a valid experiment journal straight to disk, the way the library would have written it
 * (same drafts, same line encoding, one chain), but without locks or the group-commit queue, so a
 * million events take seconds. The experiment is created through the tracker, so the catalogue is real.
 */
export class JournalBuilder {
  private seq = 0;
  private hash = GENESIS_HASH;
  private pending: EventDraft[] = [];
  private readonly fd: number;
  private clock: number;
  events = 0;
  bytes = 0;

  constructor(readonly file: string, startMs = Date.UTC(2026, 0, 1)) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, "wx"); // a journal of our own making only: never appends to a real one
    this.clock = startMs;
  }

  add<T extends EventType>(type: T, data: EventMap[T]): void {
    this.pending.push(draft(type, data, new Date(this.clock++)));
    this.events++;
    if (this.pending.length === 10_000) this.flush();
  }

  /** The clock the next event will carry (epoch ms); one ms per event. */
  get time(): number {
    return this.clock;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const lines = layOutLines(this.pending, this.seq + 1);
    this.hash = sealLines(lines, this.seq + 1, this.hash)!;
    this.seq += this.pending.length;
    this.pending = [];
    for (let done = 0; done < lines.bytes.length; ) done += writeSync(this.fd, lines.bytes, done, lines.bytes.length - done);
    this.bytes += lines.bytes.length;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A fresh store with one experiment; returns its id and the experiment journal's path. */
export async function storeWithExperiment(dir: string, name: string): Promise<{ experimentId: string; file: string }> {
  const tracker = new RuneLog(dir);
  const experimentId = await tracker.getOrCreateExperiment(name);
  return { experimentId, file: join(tracker.storeDir, "experiments", `${experimentId}.ndjson`) };
}

