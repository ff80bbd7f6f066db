/**
 * Test-side helpers shared by the journal, multi-process, torn-tail and property specs (not a worker
 * itself): an independent checker of raw journal bytes, and a spawner for the worker scripts.
 *
 * The raw checker deliberately does not use runelog's reader: it re-derives the line format from the
 * documented shape (seq counts from 1, prev is the previous line's crc, crc is CRC-32 of the bytes
 * before `,"crc":`) with its own CRC-32 table.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32Hex(bytes: Uint8Array): string {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
}

export interface RawEvent {
  seq: number;
  v: number;
  id: string;
  ts: string;
  type: string;
  data: any;
  prev: string;
  crc: string;
}

export interface RawJournal {
  events: RawEvent[];
  /** The raw lines, without their newlines. */
  lines: Buffer[];
  /** Bytes after the last newline (empty when the file ends with a newline). */
  tail: Buffer;
  /** Every violation found: empty for a healthy journal. */
  problems: string[];
}

const CRC_MARK = Buffer.from(',"crc":"', "latin1");

/** Parses a journal file byte by byte and checks every line's checksum, sequence and chain. */
export function checkRawJournal(file: string): RawJournal {
  return checkRawBytes(readFileSync(file));
}

export function checkRawBytes(buf: Buffer): RawJournal {
  const events: RawEvent[] = [];
  const lines: Buffer[] = [];
  const problems: string[] = [];
  let pos = 0;
  let prev = "00000000";
  const ids = new Set<string>();
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const line = buf.subarray(pos, nl);
    lines.push(line);
    const n = lines.length;
    let ev: RawEvent;
    try {
      ev = JSON.parse(line.toString("utf8"));
    } catch {
      problems.push(`line ${n}: not JSON`);
      pos = nl + 1;
      continue;
    }
    const mark = line.lastIndexOf(CRC_MARK);
    if (mark < 0) problems.push(`line ${n}: no crc field at the end`);
    else if (crc32Hex(line.subarray(0, mark)) !== ev.crc) problems.push(`line ${n}: crc ${ev.crc} does not match its bytes`);
    if (ev.seq !== n) problems.push(`line ${n}: seq ${ev.seq}, expected ${n}`);
    if (ev.prev !== prev) problems.push(`line ${n}: prev ${ev.prev}, expected ${prev}`);
    if (typeof ev.id !== "string" || ids.has(ev.id)) problems.push(`line ${n}: missing or duplicated id ${ev.id}`);
    ids.add(ev.id);
    if (typeof ev.type !== "string" || typeof ev.ts !== "string" || Number.isNaN(Date.parse(ev.ts))) problems.push(`line ${n}: bad envelope`);
    prev = ev.crc;
    events.push(ev);
    pos = nl + 1;
  }
  return { events, lines, tail: buf.subarray(pos), problems };
}

// ------------------------------------------------------------------ child processes

type Waiter = { pred: (m: any) => boolean; resolve: (m: any) => void };

/** A child's stdout read as JSON lines: every message so far, and waiters for the first that matches. */
export class JsonMessages {
  readonly messages: any[] = [];
  readonly waiters: Waiter[] = [];

  constructor(stdout: NodeJS.ReadableStream) {
    let buffered = "";
    stdout.setEncoding("utf8");
    stdout.on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let msg: any;
        try {
          msg = JSON.parse(text);
        } catch {
          continue; // not a message: some other output
        }
        this.messages.push(msg);
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          if (this.waiters[i]!.pred(msg)) {
            this.waiters[i]!.resolve(msg);
            this.waiters.splice(i, 1);
          }
        }
      }
    });
  }

  /** The first message, seen or to come, that matches; `undefined` if close() comes first. */
  next(pred: (m: any) => boolean): Promise<any> {
    const hit = this.messages.find(pred);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** The child is gone: every pending wait resolves with undefined. */
  close(): void {
    for (const w of this.waiters.splice(0)) w.resolve(undefined);
  }
}

export interface WorkerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Every stdout line that parsed as JSON, in order. */
  messages: any[];
  stderr: string;
}

export interface WorkerHandle {
  child: ChildProcess;
  /** Resolves with the first JSON message satisfying `pred`. */
  waitFor(pred: (msg: any) => boolean): Promise<any>;
  done: Promise<WorkerResult>;
}

/**
 * Starts `node <script> ...args`. Each worker prints `{"ready":true}` and then waits for a line on
 * stdin before it starts, so a test can release all of them at once (see `release`). Every worker is
 * SIGKILLed if it is still alive after `killAfterMs`, so nothing can hang a test run.
 */
export function startWorker(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; killAfterMs?: number; cwd?: string } = {}): WorkerHandle {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
  });
  const out = new JsonMessages(child.stdout!);
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 50_000);
  const done = new Promise<WorkerResult>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      out.close();
      resolve({ code, signal, messages: out.messages, stderr });
    });
  });
  return {
    child,
    done,
    waitFor: (pred) => out.next(pred),
  };
}

/** Waits until every worker said it is ready, then lets them all go at once. */
export async function release(workers: WorkerHandle[]): Promise<void> {
  const ready = await Promise.all(workers.map((w) => w.waitFor((m) => m?.ready === true)));
  ready.forEach((r, i) => {
    if (r === undefined) throw new Error(`worker ${i} exited before it was ready`);
  });
  for (const w of workers) w.child.stdin!.write("go\n");
}

/** Runs workers released together; returns their results, asserting each exited cleanly. */
export async function runTogether(script: string, argsList: string[][], env?: NodeJS.ProcessEnv): Promise<WorkerResult[]> {
  const workers = argsList.map((args) => startWorker(script, args, { env }));
  try {
    await release(workers);
  } catch (err) {
    for (const w of workers) w.child.kill("SIGKILL");
    const results = await Promise.all(workers.map((w) => w.done));
    throw new Error(`${(err as Error).message}\n${results.map((r) => r.stderr).join("\n")}`);
  }
  const results = await Promise.all(workers.map((w) => w.done));
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`worker ${i} exited with ${r.code ?? r.signal}:\n${r.stderr}`);
  });
  return results;
}
