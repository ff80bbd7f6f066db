import { type Draft, Immer } from "immer";
import type { JournalEvent } from "../src/events.js";

/** A projection: an initial state and how one event changes it. Pure: no I/O, no clock. */
export interface Projection<S> {
  readonly name: string;
  initial(): S;
  evolve(state: Draft<S>, event: JournalEvent): void;
  /**
   * For projections worth snapshotting: the state as structured-clone data and back. Bump
   * `version` whenever the state's shape changes: a snapshot of another version is ignored.
   */
  snapshot?: { version: number; save(state: S): unknown; load(data: unknown): S };
}

// Views are copied out of states, so freezing buys nothing and costs a walk of every new object.
const immer = new Immer({ autoFreeze: false });

/**
 * Folds a batch of events in one `produce`: one copy-on-write pass per batch, not per event.
 * `inPlace` is for a state nobody has been handed yet (a cold start): nothing can observe its
 * mutation, so `evolve` runs on it directly and skips immer's proxies — the same code, the same result.
 */
export function fold<S>(projection: Projection<S>, state: S, events: readonly JournalEvent[], inPlace = false): S {
  if (events.length === 0) return state;
  if (inPlace) {
    for (const event of events) projection.evolve(state as Draft<S>, event);
    return state;
  }
  return immer.produce(state, (draft: Draft<S>) => {
    for (const event of events) projection.evolve(draft, event);
  }) as S;
}

/**
 * A record keyed by user-chosen names (run ids, model names, tags…). It has no prototype, so a name
 * like "constructor" or "hasOwnProperty" is just a key, never a built-in.
 */
export function dict<T>(from?: Readonly<Record<string, T>>): Record<string, T> {
  const d = Object.create(null) as Record<string, T>;
  return from ? Object.assign(d, from) : d;
}

/** Replays events from the initial state. */
export function replay<S>(projection: Projection<S>, events: readonly JournalEvent[]): S {
  return fold(projection, projection.initial(), events);
}
