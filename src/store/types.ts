/**
 * The seam: what runelog needs from wherever its events and bytes live. A store is three small
 * interfaces — journals, blobs, snapshots — handed to the tracker by `openStore(path)`
 * (src/store/index.ts), which picks a backend from the path: a folder (src/store/file), memory
 * (src/store/memory, the reference), a postgres:// URL (src/store/postgres).
 *
 * Rules every backend keeps (test/journal.contract.ts and test/blob.contract.ts check them):
 * - A backend never knows what an event means: it stores the envelope (src/events.ts) and the
 *   draft's serialized body, and hands them back exactly.
 * - Positions are opaque outside their backend. Callers may read `seq` and nothing else; they get
 *   positions only from the backend (START, a ReadChunk's `end`) and give them back unchanged.
 * - The hash chain and checksums are computed over the same canonical line in every backend
 *   (src/journal/line.ts: encodeLine), so a store copied from one backend to another verifies.
 */
import type { EventDraft, StoredEvent } from "../events.js";

export type { EventDraft, StoredEvent } from "../events.js";

// ------------------------------------------------------------------------------------- journals

/** Stream names: the catalogue, the registry, and one per experiment (`experiments/<digits>`). */
export type StreamName = "catalog" | "registry" | `experiments/${string}`;

/**
 * Where a reader stands in a stream: after the event numbered `seq` (0: before the first). A
 * backend adds what it needs to read on from there (the file backend: a byte offset, a line
 * number, the last line's crc) — nobody else looks at or builds those fields. Positions are plain
 * data (structured-cloneable): snapshots store them and hand them back later.
 */
export interface Position {
  readonly seq: number;
}

/** The start of every stream, in every backend. */
export const START: Position = Object.freeze({ seq: 0 });

/** `not-a-file`: something other than a regular file (a directory) is where the journal goes; reported at line 0, offset 0. */
export type ProblemKind = "torn-tail" | "bad-checksum" | "bad-json" | "broken-chain" | "unknown-event" | "not-a-file";

/** A damaged record a read passed over (onCorrupt "skip") or verify() reports. */
export interface Problem {
  /** 1-based index of the record in the stream (a file's line number). */
  line: number;
  /** Where the record starts in the backend's storage (a file: its byte offset; else its index). */
  offset: number;
  kind: ProblemKind;
}

export interface ReadChunk {
  /** Complete, checked events after `from`, in stream order. */
  events: StoredEvent[];
  /** Where to read on from (the position after the last event or damaged record read). */
  end: Position;
  /** Damaged records passed over (only with onCorrupt "skip"). */
  problems: Problem[];
  /** Set when the stream's storage ends in bytes that are not a complete record (files only). */
  tornTail: Problem | null;
  /** True when the chunk reached the end of the stream as it was when read. */
  atEnd: boolean;
}

export interface ReadOptions {
  /** Stop after about this many bytes of encoded events (at least one event); read on from `end`. */
  maxBytes?: number;
  /** "throw" (default): a damaged record throws JournalCorrupted; "skip": it is passed over and listed in `problems`. */
  onCorrupt?: "throw" | "skip";
  /** Says whether this reader understands an event (its type and schema version); one it does not is a problem "unknown-event". */
  accepts?: (event: StoredEvent) => boolean;
}

/**
 * An append made with `expectedSeq` found the stream had moved on: nothing was written; the caller
 * reads again and decides anew (src/api/retry.ts). Every backend rejects with this class.
 */
export class ConcurrencyConflict extends Error {
  constructor(readonly expectedSeq: number, readonly actualSeq: number) {
    super(`expected the journal at sequence ${expectedSeq}, found ${actualSeq}`);
  }
}

export function isConflict(err: unknown): err is ConcurrencyConflict {
  return err instanceof ConcurrencyConflict;
}

/** One stream of events. Handles are cheap; a backend may hand out the same one for a name. */
export interface Journal {
  /** How errors and reports name this stream (a file: its path relative to the store's parent). */
  readonly name: string;
  /**
   * Appends the drafts as consecutive events (seq, prev and crc stamped by the backend), all or
   * none; resolves once they are durable as the backend promises and readable by every reader.
   * With `expectedSeq`, appends only if the stream's last sequence number is still that, else
   * rejects with ConcurrencyConflict and writes nothing. Appends made without awaiting keep call
   * order. An empty batch appends nothing.
   */
  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void>;
  /** Reads complete, checked events after `from` (START or a position this stream returned). A missing stream reads as empty. */
  read(from: Position, options?: ReadOptions): Promise<ReadChunk>;
  /** Whether the stream's event at `position` is still the one recorded there (same seq and hash): a snapshot is trusted only then. */
  holds(position: Position): Promise<boolean>;
}

/** Calls the listener with a stream's name soon after it grows (a new stream too), whoever appended. */
export type GrowthListener = (stream: StreamName) => void;

export interface JournalStore {
  open(stream: StreamName): Journal;
  /** Every stream that holds events: the catalogue first, then experiments by numeric id, then the registry. */
  list(): Promise<StreamName[]>;
  /**
   * Growth notification, for followers (events({ follow })) and projectors: `listener` is called
   * after appends by this or any other process (files: fs.watch plus a slow poll; postgres:
   * LISTEN/NOTIFY; memory: at once). A hint, not a record: calls may be late, merged or spurious,
   * so a listener re-reads from its position. Returns a function that stops the watch.
   */
  watch(listener: GrowthListener): () => void;
}

// ------------------------------------------------------------------------------------- blobs

export interface BlobRef {
  sha256: string;
  size: number;
}

/** Who holds a blob alive: a run's artifact (by its name), or the registry (a registered model version). */
export type BlobHolder = { kind: "run"; runId: string; name: string } | { kind: "registry" };

/** Bytes to store: in memory, or a local file's. */
export type BlobSource = { bytes: Uint8Array } | { file: string };

/**
 * Content-addressed bytes. A blob is whole or absent. Bytes are put first and their event appended
 * after, so a crash leaves an unreferenced blob, never a dangling reference. A blob that no holder
 * holds may be removed — but never while another caller is attaching it (the test in
 * test/blob.race.test.ts races them in real processes).
 */
export interface BlobStore {
  /** Stores the bytes under their sha256 (same bytes twice: one blob). A missing file is ArtifactNotFound. */
  put(source: BlobSource): Promise<BlobRef>;
  /** Makes `holder` hold the blob (replacing what it held). False when the blob is absent: put it again. */
  attach(sha256: string, holder: BlobHolder): Promise<boolean>;
  /** Drops these holds; a blob no longer held by anything is removed. */
  detach(holds: ReadonlyArray<{ sha256: string; holder: BlobHolder }>): Promise<void>;
  /** The blob's bytes; ArtifactNotFound ("its stored bytes are gone") when it is absent. */
  read(sha256: string): Promise<Buffer>;
  /**
   * A path on this machine whose file holds the bytes `holder` holds, its last segment the
   * artifact's name (files: the hard link under .runelog/artifacts; other backends: a verified
   * copy in a cache folder). With `repair` false (a view of the past) nothing is written: a
   * missing link is ArtifactNotFound. Absent bytes are ArtifactNotFound.
   */
  localPath(sha256: string, holder: { kind: "run"; runId: string; name: string }, options: { repair: boolean }): Promise<string>;
}

// ------------------------------------------------------------------------------------- snapshots

/**
 * A cache of projection states, keyed by stream, projection name and version. Never a source of
 * truth: a projector uses one only if the journal still `holds` its position; a damaged or foreign
 * one loads as null. Saving may fail silently (a read-only folder).
 */
export interface SnapshotStore {
  load(stream: StreamName, projection: string, version: number): Promise<{ position: Position; data: unknown } | null>;
  save(stream: StreamName, projection: string, version: number, position: Position, data: unknown): Promise<void>;
}

// ------------------------------------------------------------------------------------- the store

export interface Store {
  /** What this store is, for people: a folder store's absolute `.runelog` path; a URL without its password. */
  readonly location: string;
  readonly journals: JournalStore;
  readonly blobs: BlobStore;
  readonly snapshots: SnapshotStore;
  /** Whether anything was ever written here (a reader can refuse a mistyped path without creating anything). */
  exists(): Promise<boolean>;
  /** Ends connections and watches (a folder store: nothing to end). The store is unusable after. */
  close(): Promise<void>;
}

/** Options openStore understands; a backend ignores what does not concern it. */
export interface StoreOptions {
  /** fsync every batch before its promises resolve. */
  fsync: boolean;
  /** Journal lock bounds (files). */
  lock: { staleMs: number; timeoutMs: number };
}

/**
 * What a backend declares it has, for the contract specs: a torn tail exists only where a crash can
 * leave half a record (files).
 */
export interface Capabilities {
  tornTail: boolean;
}
