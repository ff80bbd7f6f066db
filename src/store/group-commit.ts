/**
 * Group commit, shared by every journal backend: the appends a process makes in one turn of the
 * event loop go out as one batch. Unconditional appends made one after another share one group (one
 * promise for the lot); a conditional append (`expectedSeq`) gets a group of its own and closes the
 * open group, so the queue keeps call order. The backend's `flush` writes a batch and settles its
 * groups; if it throws, every group of the batch is rejected (settling twice is a no-op).
 */
export interface Group<T> {
  items: T[];
  expectedSeq: number | undefined;
  /** Rejected already (a ConcurrencyConflict): left out if the batch is tried again. */
  settled: boolean;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * What writes a group commit's batches. A writer passes itself (its class's methods), not closures
 * made per writer: the drain loop then calls the same function for every journal, and V8's
 * optimized code survives a process writing to a second journal.
 */
export interface BatchWriter<T> {
  flush(batch: Array<Group<T>>): Promise<void>;
  /** How long to wait between two batches when more is queued (0: none), asked after each batch. */
  pauseMs(): number;
}

export class GroupCommit<T> {
  private queue = emptyQueue<T>();
  private open: Group<T> | null = null;
  private draining = false;

  constructor(private readonly writer: BatchWriter<T>) {}

  add(items: readonly T[], expectedSeq?: number): Promise<void> {
    let group = expectedSeq === undefined ? this.open : null;
    if (!group) {
      group = newGroup<T>(expectedSeq);
      this.queue.push(group);
      this.open = expectedSeq === undefined ? group : null;
    }
    for (const item of items) group.items.push(item);
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
      this.queue = emptyQueue();
      this.open = null;
      try {
        await this.writer.flush(batch);
      } catch (err) {
        for (const group of batch) group.reject(err);
      }
      if (this.queue.length === 0) break;
      // More was queued meanwhile (e.g. an awaited loop's next call). Go round the event loop before
      // the next batch: a flush can complete without any I/O wait, and a loop of microtasks alone
      // would starve timers and I/O. The pause, when asked for, lets other processes take a turn.
      const pause = this.writer.pauseMs();
      await new Promise<void>((resolve) => (pause > 0 ? setTimeout(resolve, pause) : setImmediate(resolve)));
    }
    this.draining = false;
  }
}

/** Every queue array is made here, at one site, so all have the elements kind V8 saw first (one `push` for all). */
function emptyQueue<T>(): Array<Group<T>> {
  return [];
}

function newGroup<T>(expectedSeq: number | undefined): Group<T> {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { items: [], expectedSeq, settled: false, promise, resolve, reject };
}
