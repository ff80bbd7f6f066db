/**
 * The one seam between runelog and where its events live. A backend opens named streams; a stream
 * appends batches (optionally only if it is still at an expected sequence) and reads from a position.
 * Only the file backend exists; test/journal.contract.ts is the spec any other backend must pass.
 */
import { readdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { lstatSync } from "node:fs";
import { type StorePaths, UnsafeStorePath } from "../store/paths.js";
import type { LockOptions } from "./lock.js";
import { ConcurrencyConflict, writerFor } from "./append.js";
import type { EventDraft } from "./line.js";
import { lineEndsAt, type Position, type ReadChunk, type ReadOptions, readJournalFile } from "./read.js";

export { ConcurrencyConflict } from "./append.js";
export { type EventDraft, type LineProblemKind, type StoredEvent, GENESIS_HASH } from "./line.js";
export { type Position, type Problem, type ReadChunk, type ReadOptions, START } from "./read.js";
export { type LockOptions, DEFAULT_LOCK_OPTIONS } from "./lock.js";

export interface Journal {
  /** How errors and reports name this stream (a path relative to the store). */
  readonly name: string;
  /**
   * Appends the drafts as consecutive events; resolves once they are in the journal. With `expectedSeq`, appends only if the stream's last
   * sequence number is still that, else rejects with ConcurrencyConflict and writes nothing.
   */
  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void>;
  /** Reads complete, checked events after `from`. */
  read(from: Position, options?: ReadOptions): Promise<ReadChunk>;
  /** Whether the stream's event ending at `position` is the one recorded there (same seq and hash). */
  holds(position: Position): Promise<boolean>;
}

export interface FileJournalOptions {
  lock: LockOptions;
  fsync: boolean;
}

/** Stream names: the catalogue, the registry, and one per experiment. */
export type StreamName = "catalog" | "registry" | `experiments/${string}`;

/** Where journals live. A second backend (a database) implements this and passes the same contract spec. */
export interface JournalBackend {
  open(stream: StreamName): Journal;
  /** Every stream that holds events, catalogue first, then experiments by id, then the registry. */
  list(): Promise<StreamName[]>;
}

export class FileJournalBackend implements JournalBackend {
  private readonly open_ = new Map<StreamName, Journal>();

  constructor(private readonly paths: StorePaths, private readonly options: FileJournalOptions) {}

  open(stream: StreamName): Journal {
    let journal = this.open_.get(stream);
    if (!journal) {
      const file = this.fileOf(stream);
      this.open_.set(stream, (journal = new FileJournal(file, this.paths.display(file), this.options, this.paths)));
    }
    return journal;
  }

  async list(): Promise<StreamName[]> {
    const ids = (await readdir(dirname(this.paths.experiment("0"))).catch(() => [] as string[]))
      .map((f) => /^(\d+)\.ndjson$/.exec(f)?.[1])
      .filter((id): id is string => id !== undefined)
      .sort((a, b) => Number(a) - Number(b));
    const streams: StreamName[] = [];
    if (await exists(this.paths.catalog)) streams.push("catalog");
    for (const id of ids) streams.push(`experiments/${id}`);
    if (await exists(this.paths.registry)) streams.push("registry");
    return streams;
  }

  private fileOf(stream: StreamName): string {
    if (stream === "catalog") return this.paths.catalog;
    if (stream === "registry") return this.paths.registry;
    return this.paths.experiment(stream.slice("experiments/".length));
  }
}

const exists = (file: string) => stat(file).then(() => true, () => false);

export class FileJournal implements Journal {
  private readonly writer;
  private placeChecked = false;

  constructor(readonly file: string, readonly name: string, options: FileJournalOptions, private readonly paths?: StorePaths) {
    this.writer = writerFor(file, { ...options, displayName: name });
  }

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void> {
    if (!this.placeChecked && this.paths) {
      // Before the first write: the journal's folders are real folders of the store and the journal is no link.
      try {
        this.paths.makeDir(dirname(this.file));
        if (lstatSync(this.file, { throwIfNoEntry: false })?.isSymbolicLink()) throw new UnsafeStorePath(this.name, "link", "it is a symbolic link");
      } catch (err) {
        return Promise.reject(err);
      }
      this.placeChecked = true;
    }
    return this.writer.append(drafts, expectedSeq);
  }

  async read(from: Position, options: ReadOptions = {}): Promise<ReadChunk> {
    return readJournalFile(this.file, from, { displayName: this.name, ...options });
  }

  async holds(position: Position): Promise<boolean> {
    return lineEndsAt(this.file, position);
  }
}

export function isConflict(err: unknown): err is ConcurrencyConflict {
  return err instanceof ConcurrencyConflict;
}
