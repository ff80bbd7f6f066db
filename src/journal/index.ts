/**
 * The one seam between runelog and where its events live. A backend opens named streams; a stream
 * appends batches (optionally only if it is still at an expected sequence) and reads from a position.
 * Only the file backend exists; test/journal.contract.ts is the spec any other backend must pass.
 */
import type { LockOptions } from "./lock.js";
import { ConcurrencyConflict, type Stamped, writerFor } from "./append.js";
import type { EventDraft } from "./line.js";
import { type Position, type ReadChunk, type ReadOptions, readJournalFile } from "./read.js";

export { ConcurrencyConflict, type Stamped } from "./append.js";
export { type EventDraft, type LineProblemKind, type StoredEvent, GENESIS_HASH } from "./line.js";
export { type Position, type Problem, type ReadChunk, type ReadOptions, START } from "./read.js";
export { type LockOptions, DEFAULT_LOCK_OPTIONS } from "./lock.js";

export interface Journal {
  /** How errors and reports name this stream (a path relative to the store). */
  readonly name: string;
  /**
   * Appends the drafts as consecutive events. With `expectedSeq`, appends only if the stream's last
   * sequence number is still that, else rejects with ConcurrencyConflict and writes nothing.
   */
  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<Stamped[]>;
  /** Reads complete, checked events after `from`. */
  read(from: Position, options?: ReadOptions): Promise<ReadChunk>;
}

export interface FileJournalOptions {
  lock: LockOptions;
  fsync: boolean;
}

export class FileJournal implements Journal {
  private readonly writer;

  constructor(readonly file: string, readonly name: string, options: FileJournalOptions) {
    this.writer = writerFor(file, { ...options, displayName: name });
  }

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<Stamped[]> {
    return this.writer.append(drafts, expectedSeq);
  }

  async read(from: Position, options: ReadOptions = {}): Promise<ReadChunk> {
    return readJournalFile(this.file, from, { displayName: this.name, ...options });
  }
}

export function isConflict(err: unknown): err is ConcurrencyConflict {
  return err instanceof ConcurrencyConflict;
}
