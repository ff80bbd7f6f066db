/**
 * Test-side helpers for the fault specs (crash, stale-lock, killed-run); not a worker itself.
 *
 * - `Children`: spawns the compiled worker scripts, parses their JSON stdout, and SIGKILLs every
 *   child it started (`killAll`, for afterEach), so a failing test leaves no process behind.
 * - `readRawJournal`: harness.ts's independent check of a journal file's bytes (its own CRC-32,
 *   not runelog's reader): every line's checksum, sequence, chain, id and envelope.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { checkRawJournal, JsonMessages, type RawEvent } from "./harness.js";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** dist/test/workers/<name>.js, relative to this file whether it runs as source (jest) or compiled. */
export function workerScript(testDir: string, name: string): string {
  const script = resolve(testDir, "..", "dist", "test", "workers", `${name}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npx tsc\` first`);
  return script;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ child processes

export interface Child {
  proc: ChildProcess;
  pid: number;
  messages: any[];
  stderr: () => string;
  /** Resolves with the first message satisfying `pred`; rejects when the child exits first or after `timeoutMs`. */
  waitFor(pred: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Resolves once the child has exited and been reaped (its pid is gone). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

export class Children {
  private readonly all = new Set<Child>();

  start(script: string, args: string[], env?: NodeJS.ProcessEnv): Child {
    const proc = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    if (proc.pid === undefined) throw new Error(`could not start ${script}`);
    const out = new JsonMessages(proc.stdout!);
    let err = "";
    let isAlive = true;
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (chunk: string) => (err += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      // "exit" comes after the child was reaped (libuv's SIGCHLD handler waits for it).
      proc.on("exit", (code, signal) => {
        isAlive = false;
        res({ code, signal });
      });
    });
    const child: Child = {
      proc,
      pid: proc.pid,
      messages: out.messages,
      stderr: () => err,
      exited,
      alive: () => isAlive,
      async waitFor(pred, timeoutMs = 30_000) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, rej) => {
          timer = setTimeout(() => rej(new Error(`worker ${proc.pid} did not say the expected thing within ${timeoutMs} ms; stderr:\n${err}`)), timeoutMs);
        });
        const gone = exited.then(async ({ code, signal }) => {
          await new Promise((r) => setImmediate(r)); // let output already read be delivered first
          const hit = out.messages.find(pred);
          if (hit !== undefined) return hit;
          throw new Error(`worker ${proc.pid} exited (${code ?? signal}) before saying the expected thing; stderr:\n${err}`);
        });
        try {
          return await Promise.race([out.next(pred), gone, timeout]);
        } finally {
          clearTimeout(timer);
        }
      },
    };
    this.all.add(child);
    void exited.then(() => this.all.delete(child));
    return child;
  }

  /** SIGKILLs the child and waits until it is reaped. */
  async kill(child: Child): Promise<void> {
    if (child.alive()) child.proc.kill("SIGKILL");
    await child.exited;
  }

  /** SIGKILLs every child still alive and waits for each to be reaped. */
  async killAll(): Promise<void> {
    await Promise.all([...this.all].map((c) => this.kill(c)));
  }
}

// ------------------------------------------------------------------ raw journal bytes


export type RawLine = RawEvent;

export interface RawCheck {
  events: RawLine[];
  /** Bytes after the last newline. */
  tailBytes: number;
  /** Every violation, as "line N: …"; empty for a healthy journal. */
  problems: string[];
}

/** The shared independent check of a journal's bytes (harness.ts), with the torn tail as a byte count. */
export function readRawJournal(file: string): RawCheck {
  const { events, tail, problems } = checkRawJournal(file);
  return { events, tailBytes: tail.length, problems };
}

// ------------------------------------------------------------------ crash-writer acknowledgements

/** What a crash-writer acknowledged: its run (once startRun resolved) and every counter whose promise resolved. A torn last line is no acknowledgement. */
export function readAcks(file: string): { runId: string | null; counters: number[] } {
  if (!existsSync(file)) return { runId: null, counters: [] };
  const lines = readFileSync(file, "utf8").split("\n");
  lines.pop(); // "" after the last newline, or a line the kill cut short
  let runId: string | null = null;
  const counters: number[] = [];
  for (const line of lines) {
    if (line.startsWith("run ")) runId = line.slice(4);
    else counters.push(Number(line));
  }
  return { runId, counters };
}

export interface WriterRecord {
  id: number;
  ackFile: string;
  /** Counters whose calls rejected (tolerant writers report them). */
  failed?: number[];
}

/**
 * Holds the journal's events against what crash-writers acknowledged. For each writer, the
 * counters found (a metric's step, or the number in a param key "c<n>"; the value must be
 * id * 1e6 + counter) must rise strictly — each event once, in call order — and run 0, 1, 2 … with
 * no hole except calls that rejected, which must not be there at all; every acknowledged counter
 * must be there. Returns every violation as text (empty: all good) and how many acks were checked.
 */
export function checkWriters(events: RawLine[], writers: WriterRecord[]): { problems: string[]; acked: number } {
  const problems: string[] = [];
  const byRun = new Map<string, number>();
  const found = new Map<number, { runId: string; counters: number[] }>();
  for (const e of events) {
    if (e.type === "RunStarted" && e.data?.tags?.writer !== undefined) {
      const w = Number(e.data.tags.writer);
      if (found.has(w)) problems.push(`writer ${w}: a second RunStarted at seq ${e.seq}`);
      byRun.set(e.data.runId, w);
      found.set(w, { runId: e.data.runId, counters: [] });
      continue;
    }
    const w = byRun.get(e.data?.runId);
    if (w === undefined) continue;
    let c: number;
    let value: unknown;
    if (e.type === "MetricsLogged") {
      c = e.data.step;
      value = e.data.metrics.v;
    } else if (e.type === "ParamsLogged") {
      const keys = Object.keys(e.data.params).filter((k) => /^c\d+$/.test(k));
      if (keys.length !== 1) {
        problems.push(`seq ${e.seq}: a param event without one counter key`);
        continue;
      }
      c = Number(keys[0]!.slice(1));
      value = e.data.params[keys[0]!];
    } else {
      problems.push(`seq ${e.seq}: unexpected ${e.type} in writer ${w}'s run`);
      continue;
    }
    if (value !== w * 1e6 + c) problems.push(`seq ${e.seq}: writer ${w} counter ${c} carries ${String(value)}`);
    found.get(w)!.counters.push(c);
  }
  let acked = 0;
  for (const w of writers) {
    const acks = readAcks(w.ackFile);
    const mine = found.get(w.id);
    const failed = new Set(w.failed ?? []);
    if (acks.runId !== null && mine?.runId !== acks.runId) problems.push(`writer ${w.id}: acknowledged run ${acks.runId} is not in the journal`);
    const present = mine?.counters ?? [];
    for (let i = 1; i < present.length; i++) {
      if (present[i]! <= present[i - 1]!) problems.push(`writer ${w.id}: counter ${present[i]} after ${present[i - 1]} (repeated or out of order)`);
    }
    const have = new Set(present);
    const top = present.reduce((a, b) => Math.max(a, b), -1); // not Math.max(...present): a long run overflows the stack
    for (let c = 0; c <= top; c++) {
      if (failed.has(c) && have.has(c)) problems.push(`writer ${w.id}: counter ${c} rejected, yet it is in the journal`);
      if (!failed.has(c) && !have.has(c)) problems.push(`writer ${w.id}: counter ${c} missing before ${top} (a hole)`);
    }
    if (new Set(acks.counters).size !== acks.counters.length) problems.push(`writer ${w.id}: a counter acknowledged twice`);
    for (const c of acks.counters) if (!have.has(c)) problems.push(`writer ${w.id}: acknowledged counter ${c} is not in the journal`);
    acked += acks.counters.length;
  }
  return { problems, acked };
}
