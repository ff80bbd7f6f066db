/**
 * The write side of a journal file, with group commit: every append from this process queues; one
 * flush takes the lock once, re-reads the tail only if someone else wrote since our last write,
 * truncates a torn tail, stamps each queued event with the next sequence number and the previous
 * line's crc, writes all lines in one write, optionally fsyncs, and resolves every waiting promise.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { encodeLine, type EventDraft } from "./line.js";
import { type LockOptions, withLock } from "./lock.js";
import { readTail } from "./read.js";

export interface WriterOptions {
  lock: LockOptions;
  /** fsync each batch before resolving: survives power loss, not only a process crash. */
  fsync: boolean;
  displayName: string;
}

/** Where an appended event landed. */
export interface Stamped {
  seq: number;
  crc: string;
}

/** An append made with `expectedSeq` found the journal had moved on; read again and decide anew. */
export class ConcurrencyConflict extends Error {
  constructor(readonly expectedSeq: number, readonly actualSeq: number) {
    super(`expected the journal at sequence ${expectedSeq}, found ${actualSeq}`);
  }
}

interface Entry {
  drafts: readonly EventDraft[];
  expectedSeq: number | undefined;
  resolve: (stamped: Stamped[]) => void;
  reject: (err: unknown) => void;
}

interface Known {
  size: number;
  ino: number;
  seq: number;
  hash: string;
}

export class JournalWriter {
  private queue: Entry[] = [];
  private draining = false;
  private known: Known | null = null;
  private dirReady = false;

  constructor(readonly file: string, private readonly options: WriterOptions) {}

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<Stamped[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ drafts, expectedSeq, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // setImmediate lets every append made in this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (!this.dirReady) {
          mkdirSync(dirname(this.file), { recursive: true });
          this.dirReady = true;
        }
        await withLock(this.file, this.options.lock, () => this.writeBatch(batch));
      } catch (err) {
        for (const entry of batch) entry.reject(err);
      }
    }
    this.draining = false;
  }

  /** Runs under the lock. Resolving an entry that was already rejected (a conflict) is a no-op. */
  private writeBatch(batch: Entry[]): void {
    const fd = openSync(this.file, "a+");
    try {
      const st = fstatSync(fd);
      let known = this.known;
      this.known = null;
      if (!known || known.size !== st.size || known.ino !== st.ino) {
        const tail = readTail(fd, st.size, this.options.displayName);
        if (tail.goodSize < st.size) ftruncateSync(fd, tail.goodSize); // torn-tail repair: those bytes never were an event
        known = { size: tail.goodSize, ino: st.ino, seq: tail.seq, hash: tail.hash };
      }
      let { seq, hash } = known;
      const lines: string[] = [];
      const accepted: Array<[Entry, Stamped[]]> = [];
      for (const entry of batch) {
        if (entry.expectedSeq !== undefined && entry.expectedSeq !== seq) {
          entry.reject(new ConcurrencyConflict(entry.expectedSeq, seq));
          continue;
        }
        const stamped: Stamped[] = [];
        for (const draft of entry.drafts) {
          const { line, crc } = encodeLine(draft, ++seq, hash);
          hash = crc;
          lines.push(line);
          stamped.push({ seq, crc });
        }
        accepted.push([entry, stamped]);
      }
      if (lines.length > 0) {
        const bytes = Buffer.from(lines.join(""), "utf8");
        writeAll(fd, bytes);
        if (this.options.fsync) fsyncSync(fd);
        known = { size: known.size + bytes.length, ino: st.ino, seq, hash };
      }
      this.known = known;
      for (const [entry, stamped] of accepted) entry.resolve(stamped);
    } finally {
      closeSync(fd);
    }
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

const writers = new Map<string, JournalWriter>();

/** One writer per file and options in a process, so every tracker on a store shares one group commit. */
export function writerFor(file: string, options: WriterOptions): JournalWriter {
  const id = `${file}\0${options.fsync}\0${options.lock.staleMs}\0${options.lock.timeoutMs}`;
  let writer = writers.get(id);
  if (!writer) writers.set(id, (writer = new JournalWriter(file, options)));
  return writer;
}
