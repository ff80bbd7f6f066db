/**
 * The write side of a journal file, with group commit: every append from this process queues; one
 * flush takes the lock once, re-reads the tail only if someone else wrote since our last write,
 * truncates a torn tail, stamps each queued event with the next sequence number and the previous
 * line's crc, writes all lines in one write, optionally fsyncs, and resolves every waiting promise.
 *
 * All of that runs synchronously under the lock (no await while holding it). Right before the
 * write the holder checks the lock is still its own, and right after it that the file grew by
 * exactly its bytes; a write that fails (a full disk, EIO) is cut back to the batch's start before
 * the batch is rejected, so a rejected call leaves no event behind.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { ConcurrencyConflict } from "../../types.js";
import { JournalCorrupted } from "../../../errors.js";
import { type EventDraft, type LaidOutLines, type LayoutScratch, layOutLines, sealLines } from "../../line.js";
import { type Held, isStillMine, journalLock, type LockOptions } from "./lock.js";
import { readTail } from "./read.js";
import { type BatchWriter, GroupCommit, type Group as CommitGroup } from "../../group-commit.js";

export interface WriterOptions {
  lock: LockOptions;
  /** fsync each batch before resolving: survives power loss, not only a process crash. */
  fsync: boolean;
  displayName: string;
}

export { ConcurrencyConflict } from "../../types.js";

type Group = CommitGroup<EventDraft>;

interface Known {
  size: number;
  ino: number;
  seq: number;
  hash: string;
}

export class JournalWriter implements BatchWriter<EventDraft> {
  private known: Known | null = null;
  private dirReady = false;
  // With more queued, a writer that had to wait its turn at the lock steps back from it for longer
  // than a waiter sleeps between tries (1–2 ms): with a backlog it would otherwise take the lock
  // straight back, again and again, and starve the other processes. The pause only grows its next
  // batch. A writer that found the lock free (no one else is writing) never pauses: a loop of
  // awaited calls in one process runs at full speed.
  private contended = false;
  /** Where batches are laid out, one after another (a layout made again under the lock gets its own). */
  private readonly scratch: LayoutScratch = { buffer: Buffer.alloc(0) };
  private readonly commits = new GroupCommit<EventDraft>(this);

  constructor(readonly file: string, private readonly options: WriterOptions) {}

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void> {
    return this.commits.add(drafts, expectedSeq);
  }

  pauseMs(): number {
    return this.contended ? FAIR_PAUSE_MS : 0;
  }

  /** Called by the group commit only. */
  async flush(batch: Group[]): Promise<void> {
    if (!this.dirReady) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.dirReady = true;
    }
    // Promises resolve after the lock is released: a caller that goes on never finds it held.
    // The lines are laid out and encoded here, outside the lock, numbered from where this process
    // last left the journal: under the lock each only gets its sequence number, its predecessor's
    // crc and its own, written in place.
    const lines = layOutLines(allItems(batch), (this.known?.seq ?? 0) + 1, this.scratch);
    let written: Group[] | null = null;
    while (!written) written = await journalLock.withLock(this.file, this.options.lock, (held) => this.writeBatch(batch, lines, held));
    for (const group of written) group.resolve();
  }

  /**
   * Runs under the lock; returns the groups written, or null when the lock turned out not to be
   * ours before anything was written (the batch is tried again). Settling a group twice is a no-op,
   * so the catch in drain() is safe.
   */
  private writeBatch(batch: Group[], laidOut: LaidOutLines, held: Held): Group[] | null {
    testPause?.("locked");
    this.contended = held.contended;
    const fd = openJournal(this.file, this.options.displayName);
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
      const accepted: Group[] = [];
      let headAfter = seq; // the journal's last seq once the groups accepted so far are written
      for (const group of batch) {
        if (group.settled) continue;
        if (group.expectedSeq !== undefined && group.expectedSeq !== headAfter) {
          group.settled = true;
          group.reject(new ConcurrencyConflict(group.expectedSeq, headAfter));
          continue;
        }
        accepted.push(group);
        headAfter += group.items.length;
      }
      // The layout is used as it is unless a group dropped out or the journal moved on by enough
      // to need more digits somewhere; then the lines are laid out again here, under the lock.
      const layOutAgain = () => layOutLines(allItems(accepted), seq + 1);
      let lines = accepted.length === batch.length ? laidOut : layOutAgain();
      let last = sealLines(lines, seq + 1, hash);
      if (last === null) {
        lines = layOutAgain();
        last = sealLines(lines, seq + 1, hash)!;
      }
      const bytes = lines.bytes; // exactly the batch's lines
      const length = bytes.length;
      if (length > 0) {
        seq = headAfter;
        hash = last;
        testPause?.("encoded");
        if (!isStillMine(held)) return null; // nothing written; this.known is cleared, so the next try reads the tail
        const start = known.size;
        try {
          writeAll(fd, bytes);
          if (this.options.fsync) {
            fsyncSync(fd);
            // A new journal's name must survive a power loss too: sync the folders that list it.
            if (start === 0) for (const dir of [dirname(this.file), dirname(dirname(this.file))]) syncDir(dir);
          }
        } catch (err) {
          // A rejected call must leave no event behind: cut the batch's bytes back off, still under the lock.
          ftruncateSync(fd, start);
          throw err;
        }
        testPause?.("written");
        const after = fstatSync(fd);
        if (after.size !== start + length || after.ino !== st.ino) {
          // Someone wrote while we did: impossible while the lock is ours, and it is never broken
          // under a live holder on this host. Say so rather than acknowledge a batch in a damaged file.
          throw new Error(`${this.options.displayName} changed while this process was writing to it under its lock (expected ${start + length} bytes, found ${after.size}); run \`runelog verify\``);
        }
        known = { size: start + length, ino: st.ino, seq, hash };
      }
      this.known = known;
      testPause?.("done");
      return accepted;
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Tests only (test/paused-holder.test.ts): with RUNELOG_TEST_PAUSE=<probability>, the writer stops
 * itself with SIGSTOP at that probability at each point of its critical section, so a test can hold
 * a paused lock holder for as long as it likes and then SIGCONT it.
 */
const testPause = process.env.RUNELOG_TEST_PAUSE
  ? (where: string) => {
      if (Math.random() >= Number(process.env.RUNELOG_TEST_PAUSE)) return;
      process.stdout.write(JSON.stringify({ pausing: process.pid, where }) + "\n");
      process.kill(process.pid, "SIGSTOP");
    }
  : undefined;

function openJournal(file: string, displayName: string): number {
  try {
    return openSync(file, "a+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EISDIR") throw new JournalCorrupted(displayName, 0, 0, "not-a-file");
    throw err;
  }
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

function allItems(batch: Group[]): readonly EventDraft[] {
  return batch.length === 1 ? batch[0]!.items : batch.flatMap((g) => g.items);
}

const writers = new Map<string, JournalWriter>();

/** One writer per file and options in a process, so every tracker on a store shares one group commit. */
export function writerFor(file: string, options: WriterOptions): JournalWriter {
  const id = `${file}\0${options.fsync}\0${options.lock.staleMs}\0${options.lock.timeoutMs}`;
  let writer = writers.get(id);
  if (!writer) writers.set(id, (writer = new JournalWriter(file, options)));
  return writer;
}

/** How long a writer with a backlog steps back after its write, so that waiting writers get their turn. */
const FAIR_PAUSE_MS = 2.5;
