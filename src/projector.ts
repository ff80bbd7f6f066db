/**
 * Keeps one projection of one journal up to date: (position, state). Every read first catches up —
 * reads only the bytes appended since, in bounded chunks, folding each chunk in one batch.
 */
import { fold, type Projection } from "../projections/fold.js";
import { isKnownEvent, type JournalEvent, upcast } from "./events.js";
import { type Journal, type Position, type Problem, START, type StoredEvent } from "./journal/index.js";

export interface Snapshot<S> {
  state: S;
  position: Position;
}

export class Projector<S> {
  private snapshot: Snapshot<S>;
  private pending: Promise<unknown> = Promise.resolve();
  /** Damaged lines read past so far (onCorrupt "skip" only). */
  readonly problems: Problem[] = [];

  /**
   * @param keep folds only the events it accepts (an asOf() view's horizon); the rest are read past.
   */
  constructor(
    readonly journal: Journal,
    private readonly projection: Projection<S>,
    private readonly onCorrupt: "throw" | "skip",
    private readonly keep?: (event: StoredEvent) => boolean,
  ) {
    this.snapshot = { state: projection.initial(), position: START };
  }

  /** The state with every complete event in the journal folded in. Calls are serialized. */
  current(): Promise<Snapshot<S>> {
    const next = this.pending.then(() => this.catchUp());
    this.pending = next.catch(() => {});
    return next;
  }

  private async catchUp(): Promise<Snapshot<S>> {
    for (;;) {
      const chunk = await this.journal.read(this.snapshot.position, { onCorrupt: this.onCorrupt, accepts: isKnownEvent });
      this.problems.push(...chunk.problems);
      const events = (this.keep ? chunk.events.filter(this.keep) : chunk.events) as JournalEvent[];
      this.snapshot = { state: fold(this.projection, this.snapshot.state, events.map(upcast)), position: chunk.end };
      if (chunk.atEnd) return this.snapshot;
    }
  }
}
