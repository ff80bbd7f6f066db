/**
 * The file backend's journals: one NDJSON file per stream under `.runelog/`, appended with group
 * commit under a lock (append.ts), read from byte positions (read.ts). The interfaces it implements
 * are in src/store/types.ts; test/journal.contract.ts is the spec every backend passes.
 */
import { type FSWatcher, watch as watchFolder } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { StorePaths } from "../store/paths.js";
import type { GrowthListener, Journal, JournalStore, Position, ReadChunk, ReadOptions, StreamName } from "../store/types.js";
import type { LockOptions } from "./lock.js";
import { writerFor } from "./append.js";
import type { EventDraft } from "./line.js";
import { lineEndsAt, readJournalFile } from "./read.js";

export { ConcurrencyConflict, isConflict, START, type Journal, type JournalStore, type Position, type Problem, type ReadChunk, type ReadOptions, type StreamName } from "../store/types.js";
export { type EventDraft, type LineProblemKind, type StoredEvent, GENESIS_HASH } from "./line.js";
export { type LockOptions, DEFAULT_LOCK_OPTIONS } from "./lock.js";

export interface FileJournalOptions {
  lock: LockOptions;
  fsync: boolean;
}

/** How often a watch re-checks journal sizes, for changes fs.watch missed (it can, e.g. on NFS). */
const POLL_MS = 250;

export class FileJournalBackend implements JournalStore {
  private readonly open_ = new Map<StreamName, Journal>();
  private readonly listeners = new Set<GrowthListener>();
  private stopWatching: (() => void) | null = null;

  constructor(private readonly paths: StorePaths, private readonly options: FileJournalOptions) {}

  open(stream: StreamName): Journal {
    let journal = this.open_.get(stream);
    if (!journal) {
      const file = this.fileOf(stream);
      this.open_.set(stream, (journal = new FileJournal(file, this.paths.display(file), this.options)));
    }
    return journal;
  }

  async list(): Promise<StreamName[]> {
    const ids = (await readdir(this.experimentsDir()).catch(() => [] as string[]))
      .map((f) => /^(\d+)\.ndjson$/.exec(f)?.[1])
      .filter((id): id is string => id !== undefined)
      .sort((a, b) => Number(a) - Number(b));
    const streams: StreamName[] = [];
    if (await exists(this.paths.catalog)) streams.push("catalog");
    for (const id of ids) streams.push(`experiments/${id}`);
    if (await exists(this.paths.registry)) streams.push("registry");
    return streams;
  }

  watch(listener: GrowthListener): () => void {
    this.listeners.add(listener);
    this.stopWatching ??= this.startWatching();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.stopWatching) {
        this.stopWatching();
        this.stopWatching = null;
      }
    };
  }

  /** fs.watch on the store's folders, and a poll of journal sizes behind it. */
  private startWatching(): () => void {
    const sizes = new Map<StreamName, number>();
    const tell = (stream: StreamName) => {
      for (const listener of [...this.listeners]) listener(stream);
    };
    const watchers = new Map<string, FSWatcher>();
    const watchDir = (dir: string) => {
      if (watchers.has(dir)) return;
      try {
        const w = watchFolder(dir, { persistent: false }, (_event, file) => {
          const stream = file ? this.streamOf(dir, file.toString()) : null;
          if (stream) tell(stream);
        });
        w.on("error", () => {
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
      } catch {
        // not there yet: the poll below tries again
      }
    };
    let busy = false;
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        watchDir(this.paths.root);
        watchDir(this.experimentsDir());
        for (const stream of await this.list()) {
          const size = (await stat(this.fileOf(stream)).catch(() => null))?.size ?? 0;
          const before = sizes.get(stream);
          sizes.set(stream, size);
          if (before !== undefined && before !== size) tell(stream);
          else if (before === undefined && started) tell(stream); // a journal created since the watch began
        }
      } finally {
        busy = false;
      }
    };
    let started = false;
    void poll().then(() => (started = true));
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      clearInterval(timer);
      for (const w of watchers.values()) w.close();
    };
  }

  private experimentsDir(): string {
    return dirname(this.paths.experiment("0"));
  }

  private streamOf(dir: string, file: string): StreamName | null {
    if (dir === this.experimentsDir()) {
      const id = /^(\d+)\.ndjson$/.exec(file)?.[1];
      return id === undefined ? null : `experiments/${id}`;
    }
    if (file === basename(this.paths.catalog)) return "catalog";
    if (file === basename(this.paths.registry)) return "registry";
    return null;
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

  constructor(readonly file: string, readonly name: string, options: FileJournalOptions) {
    this.writer = writerFor(file, { ...options, displayName: name });
  }

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void> {
    return this.writer.append(drafts, expectedSeq);
  }

  async read(from: Position, options: ReadOptions = {}): Promise<ReadChunk> {
    return readJournalFile(this.file, from, { displayName: this.name, ...options });
  }

  async holds(position: Position): Promise<boolean> {
    return lineEndsAt(this.file, position);
  }
}

/** The name this interface had before src/store/types.ts. */
export type JournalBackend = JournalStore;
