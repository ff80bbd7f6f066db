/**
 * Copies a whole store to an empty one, between any two backends (a folder, a postgres:// URL):
 * every stream's events with their ids, times and order, and the blobs still held. The target
 * stamps seq, prev and crc itself over the same canonical line, so each copied event gets the very
 * crc it had; a difference stops the copy (the source line could not be reproduced exactly).
 *
 * Two passes over the source: the first finds the blobs still held (runs' artifacts, registered
 * models) and counts events; the blobs are copied before any event that names them (as every write
 * does), then the events.
 */
import { InvalidInput, JournalCorrupted } from "../errors.js";
import { type EventDraft, isKnownEvent, type StoredEvent } from "../events.js";
import { encodeLine } from "./line.js";
import { type BlobHolder, START, type Store, type StreamName } from "./types.js";

const CHUNK = 5000;

export interface MigrateProgress {
  /** Called as events are copied: how many so far, of how many. */
  (copied: number, total: number, stream: StreamName): void;
}

export interface MigrateReport {
  streams: number;
  events: number;
  blobs: number;
}

/** The draft that reproduces a stored event's line exactly (given the same seq and prev). */
export function draftOf(e: StoredEvent): EventDraft {
  return {
    body: `"v":${e.v},"id":${JSON.stringify(e.id)},"ts":${JSON.stringify(e.ts)},"type":${JSON.stringify(e.type)},"data":${JSON.stringify(e.data)}`,
    id: e.id,
    ts: e.ts,
    type: e.type as EventDraft["type"],
  };
}

async function* eventsOf(store: Store, stream: StreamName): AsyncGenerator<StoredEvent[]> {
  const journal = store.journals.open(stream);
  let at = START;
  for (;;) {
    const chunk = await journal.read(at, { onCorrupt: "throw", accepts: isKnownEvent, maxBytes: 4 * 1024 * 1024 });
    if (chunk.events.length > 0) yield chunk.events;
    at = chunk.end;
    if (chunk.atEnd) return;
  }
}

export async function migrateStore(from: Store, to: Store, progress?: MigrateProgress): Promise<MigrateReport> {
  if ((await to.journals.list()).length > 0) throw new InvalidInput("to", `${to.location} already holds events; migrate copies only into an empty store`);
  const streams = await from.journals.list();

  // Pass 1: count, and replay the holds (an artifact name held by its latest blob; a deleted run or experiment holds nothing).
  const runHolds = new Map<string, Map<string, string>>(); // runId → name → sha256
  const runsOf = new Map<string, string[]>(); // experimentId → runIds
  const registry = new Set<string>();
  let total = 0;
  for (const stream of streams) {
    const experimentId = stream.startsWith("experiments/") ? stream.slice("experiments/".length) : null;
    for await (const events of eventsOf(from, stream)) {
      total += events.length;
      for (const e of events) {
        const d = e.data as Record<string, unknown>;
        if (e.type === "RunStarted" && experimentId) runsOf.set(experimentId, [...(runsOf.get(experimentId) ?? []), d.runId as string]);
        else if (e.type === "ArtifactLogged") {
          const holds = runHolds.get(d.runId as string) ?? new Map<string, string>();
          holds.set(d.name as string, d.sha256 as string);
          runHolds.set(d.runId as string, holds);
        } else if (e.type === "RunDeleted") runHolds.delete(d.runId as string);
        else if (e.type === "ExperimentDeleted") for (const runId of runsOf.get(d.experimentId as string) ?? []) runHolds.delete(runId);
        else if (e.type === "ModelVersionRegistered") registry.add(d.sha256 as string);
      }
    }
  }

  // Blobs first: a copy cut short leaves unreferenced bytes, never an event naming absent ones.
  const copied = new Set<string>();
  const copy = async (sha256: string, holder: BlobHolder) => {
    if (!copied.has(sha256)) {
      const ref = await to.blobs.put({ bytes: await from.blobs.read(sha256) });
      if (ref.sha256 !== sha256) throw new InvalidInput("from", `blob ${sha256} read back with sha256 ${ref.sha256}: its bytes are damaged`);
      copied.add(sha256);
    }
    if (!(await to.blobs.attach(sha256, holder))) throw new Error(`blob ${sha256} vanished from ${to.location} while being copied`);
  };
  for (const [runId, holds] of runHolds) for (const [name, sha256] of holds) await copy(sha256, { kind: "run", runId, name });
  for (const sha256 of registry) await copy(sha256, { kind: "registry" });

  // Pass 2: the events, in order, each checked to get the crc it had.
  let done = 0;
  for (const stream of streams) {
    const target = to.journals.open(stream);
    let seq = 0;
    for await (const events of eventsOf(from, stream)) {
      for (let i = 0; i < events.length; i += CHUNK) {
        const part = events.slice(i, i + CHUNK);
        const drafts = part.map((e) => {
          const d = draftOf(e);
          if (e.seq !== ++seq || encodeLine(d, e.seq, e.prev).crc !== e.crc) throw new JournalCorrupted(`${from.location} ${stream}`, e.seq, 0, "broken-chain");
          return d;
        });
        await target.append(drafts, seq - part.length);
        done += part.length;
        progress?.(done, total, stream);
      }
    }
  }
  return { streams: streams.length, events: done, blobs: copied.size };
}
