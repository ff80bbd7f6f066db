/**
 * Keeps one projection of one journal up to date: (position, state). Every read first catches up —
 * asks the journal for what came after its (opaque) position, in bounded chunks, folding each chunk
 * in one batch.
 */
import { fold, type Projection } from "../projections/fold.js";
import { isKnownEvent, type JournalEvent, upcast } from "./events.js";
import { type Journal, type Position, type Problem, type SnapshotStore, START, type StoredEvent, type StreamName } from "./store/types.js";

/** Folding this many events since the last snapshot makes a new one (at the end of that catch-up). */
export const SNAPSHOT_AFTER_EVENTS = 100_000;

export interface ProjectorOptions {
  onCorrupt: "throw" | "skip";
  /** Folds only the events it accepts (an asOf() view's horizon); the rest are read past. Such a projector never uses snapshots. */
  keep?: (event: StoredEvent) => boolean;
  /** Where this projector loads and saves snapshots of its state, if its projection has them. */
  snapshots?: { store: SnapshotStore; stream: StreamName };
}

export interface Snapshot<S> {
  state: S;
  position: Position;
}

export class Projector<S> {
  private snapshot: Snapshot<S>;
  private pending: Promise<unknown> = Promise.resolve();
  /** Damaged lines read past so far (onCorrupt "skip" only). */
  readonly problems: Problem[] = [];

  private started = false;
  /** Whether current() has handed the state out: from then on folds must leave it unchanged. */
  private shared = false;
  private snapshotSeq = 0;

  constructor(
    readonly journal: Journal,
    private readonly projection: Projection<S>,
    private readonly options: ProjectorOptions,
  ) {
    this.snapshot = { state: projection.initial(), position: START };
  }

  /** The state with every complete event in the journal folded in. Calls are serialized. */
  current(): Promise<Snapshot<S>> {
    const next = this.pending.then(async () => {
      const snapshot = await this.catchUp();
      this.shared = true;
      return snapshot;
    });
    this.pending = next.catch(() => {});
    return next;
  }

  private async catchUp(): Promise<Snapshot<S>> {
    const { keep, onCorrupt } = this.options;
    if (!this.started) {
      this.started = true;
      await this.loadSnapshot();
    }
    const read = (from: Position) => this.journal.read(from, { onCorrupt, accepts: isKnownEvent });
    let next = read(this.snapshot.position);
    for (;;) {
      const chunk = await next;
      // Ask for the next chunk before folding this one: a backend that waits on a server (PostgreSQL)
      // has it fetched while this one folds. The read is the one the next turn would make, started sooner.
      if (!chunk.atEnd) (next = read(chunk.end)).catch(() => {}); // its failure is thrown when awaited
      this.problems.push(...chunk.problems);
      const events = (keep ? chunk.events.filter(keep) : chunk.events) as JournalEvent[];
      this.snapshot = { state: fold(this.projection, this.snapshot.state, events.map(upcast), !this.shared), position: chunk.end };
      if (chunk.atEnd) break;
    }
    if (this.snapshot.position.seq - this.snapshotSeq >= SNAPSHOT_AFTER_EVENTS) await this.saveSnapshot();
    return this.snapshot;
  }

  private usable() {
    const { snapshots, keep } = this.options;
    return snapshots && this.projection.snapshot && !keep ? { ...snapshots, codec: this.projection.snapshot } : null;
  }

  private async loadSnapshot(): Promise<void> {
    const use = this.usable();
    if (!use) return;
    const found = await use.store.load(use.stream, this.projection.name, use.codec.version);
    if (found === "damaged") this.snapshotSeq = -SNAPSHOT_AFTER_EVENTS; // rebuild it at the end of this catch-up
    if (!found || found === "damaged" || !(await this.journal.holds(found.position))) return; // stale, foreign or damaged: never trusted
    this.snapshot = { state: use.codec.load(found.data), position: found.position };
    this.shared = false;
    this.snapshotSeq = found.position.seq;
  }

  private async saveSnapshot(): Promise<void> {
    const use = this.usable();
    // After reading past damage (onCorrupt "skip") the state is not the journal's: don't keep it.
    if (!use || this.problems.length > 0) return;
    const { state, position } = this.snapshot;
    this.snapshotSeq = position.seq;
    await use.store.save(use.stream, this.projection.name, use.codec.version, position, use.codec.save(state)).catch(() => {});
  }
}
