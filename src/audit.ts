/** History and audit: streaming the stored events, verifying journals, and the horizon of an asOf() view. */
import { decodeTime } from "ulid";
import { InvalidInput } from "./errors.js";
import { isKnownEvent, type JournalEvent } from "./events.js";
import { type JournalStore, type Position, type Problem, type StoredEvent, type StreamName, START } from "./store/types.js";
import { describe } from "./validate.js";

const CHUNK_BYTES = 4 * 1024 * 1024;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A moment given as a Date, epoch milliseconds, an ISO 8601 string, or an event id. */
export type Instant = Date | number | string;

/** The cut an asOf() view makes: events up to `ts`; in the stream holding the named event, exactly up to it. */
export interface Horizon {
  ts: string;
  stream?: StreamName;
  seq?: number;
}

export function includes(horizon: Horizon, stream: StreamName, event: StoredEvent): boolean {
  return horizon.stream === stream ? event.seq <= horizon.seq! : event.ts <= horizon.ts;
}

/** Whether an event is at or after a horizon (the mirror of includes, for `since`). */
export function reaches(horizon: Horizon, stream: StreamName, event: StoredEvent): boolean {
  return horizon.stream === stream ? event.seq >= horizon.seq! : event.ts >= horizon.ts;
}

/** An instant as a canonical ISO string (what every event's `ts` is), or the event id it names. */
export function parseInstant(argument: string, value: unknown): { ts: string } | { eventId: string } {
  if (typeof value === "string" && ULID.test(value)) return { eventId: value };
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidInput(argument, `must be a Date, epoch milliseconds, an ISO 8601 time or an event id, got ${describe(value)}`);
  return { ts: new Date(ms).toISOString() };
}

/** Resolves an instant to a horizon; an event id is looked up so the cut falls exactly after that event. */
export async function horizonOf(backend: JournalStore, instant: { ts: string } | { eventId: string }): Promise<Horizon> {
  if ("ts" in instant) return instant;
  for (const stream of await backend.list()) {
    for await (const event of readStream(backend, stream, "skip")) {
      if (event.id === instant.eventId) return { ts: event.ts, stream, seq: event.seq };
    }
  }
  // Not stored (yet): its id still says when it was made.
  return { ts: new Date(decodeTime(instant.eventId)).toISOString() };
}

/**
 * A stream's events after `from`, exactly as stored, read in bounded chunks; `ends`, if given,
 * learns the position reached (where a follower goes on from).
 */
export async function* readStream(
  backend: JournalStore,
  stream: StreamName,
  onCorrupt: "throw" | "skip",
  from: Position = START,
  ends?: Map<StreamName, Position>,
): AsyncGenerator<StoredEvent> {
  const journal = backend.open(stream);
  let position = from;
  for (;;) {
    const chunk = await journal.read(position, { onCorrupt, accepts: isKnownEvent, maxBytes: CHUNK_BYTES });
    position = chunk.end;
    ends?.set(stream, position);
    yield* chunk.events;
    if (chunk.atEnd) return;
  }
}

export interface EventFilter {
  runId?: string;
  since?: Horizon;
  until?: Horizon;
}

/** The filter as a test of one event of one stream. */
function matcher(filter: EventFilter, horizon: Horizon | undefined): (stream: StreamName, e: StoredEvent) => boolean {
  return (stream, e) =>
    (!horizon || includes(horizon, stream, e)) &&
    (filter.since === undefined || reaches(filter.since, stream, e)) &&
    (filter.until === undefined || includes(filter.until, stream, e)) &&
    (filter.runId === undefined || (e.data as { runId?: string }).runId === filter.runId || (e.data as { sourceRunId?: string }).sourceRunId === filter.runId);
}

/**
 * Events of several streams (each with the horizon of a view of the past applied, if any), each in
 * journal order; with more than one stream they are merged by timestamp (ties keep the order of
 * `streams`), so a whole store reads as one history. `ends` learns where each stream was read to.
 */
export async function* mergedEvents(
  backend: JournalStore,
  streams: readonly StreamName[],
  filter: EventFilter,
  onCorrupt: "throw" | "skip",
  horizon?: Horizon,
  ends?: Map<StreamName, Position>,
): AsyncGenerator<JournalEvent> {
  const keep = matcher(filter, horizon);
  const sources = streams.map((s) => readStream(backend, s, onCorrupt, START, ends));
  const heads: Array<StoredEvent | undefined> = [];
  const advance = async (i: number) => {
    for (;;) {
      const next = await sources[i]!.next();
      if (next.done) return (heads[i] = undefined);
      if (keep(streams[i]!, next.value)) return (heads[i] = next.value);
    }
  };
  for (let i = 0; i < sources.length; i++) await advance(i);
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) if (heads[i] && (best < 0 || heads[i]!.ts < heads[best]!.ts)) best = i;
    if (best < 0) return;
    yield heads[best] as JournalEvent;
    await advance(best);
  }
}

/**
 * After the history: events as they are appended, like `tail -f`. Each time the store says streams
 * grew (`grown`, from JournalStore.watch), reads each wanted one on from where it stopped, in its
 * journal's order, until `signal` aborts. A stream created meanwhile is followed from its start.
 */
export async function* followEvents(
  backend: JournalStore,
  grown: (signal: AbortSignal | undefined) => Promise<Set<StreamName>>,
  wanted: (stream: StreamName) => boolean,
  ends: Map<StreamName, Position>,
  filter: EventFilter,
  onCorrupt: "throw" | "skip",
  signal: AbortSignal | undefined,
): AsyncGenerator<JournalEvent> {
  const keep = matcher(filter, undefined);
  while (!signal?.aborted) {
    const streams = await grown(signal);
    if (signal?.aborted) return;
    for (const stream of await backend.list()) {
      if (!streams.has(stream) || !wanted(stream)) continue;
      for await (const e of readStream(backend, stream, onCorrupt, ends.get(stream) ?? START, ends)) if (keep(stream, e)) yield e as JournalEvent;
    }
  }
}

export interface VerifyReport {
  /** True when no journal has a problem other than a torn tail (which readers ignore and the next append repairs). */
  ok: boolean;
  journals: Array<{ file: string; events: number; problems: Problem[] }>;
}

/** Checks every line of every journal: checksum, JSON, sequence and chain, event type and version. */
export async function verifyStore(backend: JournalStore): Promise<VerifyReport> {
  const journals: VerifyReport["journals"] = [];
  for (const stream of await backend.list()) {
    const journal = backend.open(stream);
    let position = START;
    let events = 0;
    const problems: Problem[] = [];
    for (;;) {
      const chunk = await journal.read(position, { onCorrupt: "skip", accepts: isKnownEvent, maxBytes: CHUNK_BYTES });
      events += chunk.events.length;
      problems.push(...chunk.problems);
      if (chunk.tornTail) problems.push(chunk.tornTail);
      position = chunk.end;
      if (chunk.atEnd) break;
    }
    journals.push({ file: journal.name, events, problems });
  }
  return { ok: journals.every((j) => j.problems.every((p) => p.kind === "torn-tail")), journals };
}
