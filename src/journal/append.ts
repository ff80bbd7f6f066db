/**
 * The write side of a journal file, with group commit: every append from this process queues; one
 * flush takes the lock once, re-reads the tail only if someone else wrote since our last write,
 * truncates a torn tail, stamps each queued event with the next sequence number and the previous
 * line's crc, writes all lines in one write, optionally fsyncs, and resolves every waiting promise.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ConcurrencyConflict } from "../store/types.js";
import { encodeInto, type EventDraft, maxLineBytes } from "./line.js";
import { type LockOptions, withLock } from "./lock.js";
import { readTail } from "./read.js";

export interface WriterOptions {
  lock: LockOptions;
  /** fsync each batch before resolving: survives power loss, not only a process crash. */
  fsync: boolean;
  displayName: string;
}

export { ConcurrencyConflict } from "../store/types.js";

/**
 * Queued drafts that settle together. Unconditional appends made one after another share one
 * group (one promise for the lot); a conditional append gets a group of its own, and closes the
 * open group so the queue keeps call order.
 */
interface Group {
  drafts: EventDraft[];
  expectedSeq: number | undefined;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Known {
  size: number;
  ino: number;
  seq: number;
  hash: string;
}

export class JournalWriter {
  private queue: Group[] = [];
  private open: Group | null = null;
  private draining = false;
  private known: Known | null = null;
  private dirReady = false;

  constructor(readonly file: string, private readonly options: WriterOptions) {}

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void> {
    let group = expectedSeq === undefined ? this.open : null;
    if (!group) {
      group = newGroup(expectedSeq);
      this.queue.push(group);
      this.open = expectedSeq === undefined ? group : null;
    }
    for (const d of drafts) group.drafts.push(d);
    if (!this.draining) {
      this.draining = true;
      // setImmediate lets every append made in this turn of the event loop join the batch.
      setImmediate(() => void this.drain());
    }
    return group.promise;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      this.open = null;
      try {
        if (!this.dirReady) {
          mkdirSync(dirname(this.file), { recursive: true });
          this.dirReady = true;
        }
        // Promises resolve after the lock is released: a caller that goes on never finds it held.
        for (const group of await withLock(this.file, this.options.lock, () => this.writeBatch(batch))) group.resolve();
      } catch (err) {
        for (const group of batch) group.reject(err);
      }
    }
    this.draining = false;
  }

  /** Runs under the lock; returns the groups written. Settling a group twice is a no-op, so the catch in drain() is safe. */
  private writeBatch(batch: Group[]): Group[] {
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
      let capacity = 0;
      for (const group of batch) for (const d of group.drafts) capacity += maxLineBytes(d);
      const bytes = Buffer.allocUnsafe(capacity);
      let length = 0;
      const accepted: Group[] = [];
      for (const group of batch) {
        if (group.expectedSeq !== undefined && group.expectedSeq !== seq) {
          group.reject(new ConcurrencyConflict(group.expectedSeq, seq));
          continue;
        }
        for (const d of group.drafts) {
          const line = encodeInto(bytes, length, d, ++seq, hash);
          length = line.end;
          hash = line.crc;
        }
        accepted.push(group);
      }
      if (length > 0) {
        writeAll(fd, bytes.subarray(0, length));
        if (this.options.fsync) {
          fsyncSync(fd);
          // A new journal's name must survive a power loss too: sync the folders that list it.
          if (known.size === 0) for (const dir of [dirname(this.file), dirname(dirname(this.file))]) syncDir(dir);
        }
        known = { size: known.size + length, ino: st.ino, seq, hash };
      }
      this.known = known;
      return accepted;
    } finally {
      closeSync(fd);
    }
  }
}

function newGroup(expectedSeq: number | undefined): Group {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { drafts: [], expectedSeq, promise, resolve, reject };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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
