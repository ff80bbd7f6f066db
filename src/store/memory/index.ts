/**
 * The in-memory store: the reference backend, as simple as the contract allows. Streams are arrays
 * of stored events; an append is applied whole at call time (so expectedSeq is judged in call
 * order); lines are encoded with the same codec as files, so checksums and chain are the same.
 * Handles opened on one MemoryStore share its data, as processes share a folder.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ArtifactNotFound, InvalidInput, JournalCorrupted } from "../../errors.js";
import type { EventDraft, StoredEvent } from "../../events.js";
import { encodeLine, GENESIS_HASH } from "../../journal/line.js";
import {
  type BlobHolder, type BlobRef, type BlobSource, type BlobStore, type Capabilities, ConcurrencyConflict, type GrowthListener, type Journal,
  type JournalStore, type Position, type Problem, type ReadChunk, type ReadOptions, type SnapshotStore, type Store, type StreamName,
} from "../types.js";

export const MEMORY_CAPABILITIES: Capabilities = { tornTail: false };

interface MemoryPosition extends Position {
  readonly hash: string;
}

interface Stream {
  events: StoredEvent[];
  /** Each event's encoded line length, for maxBytes. */
  sizes: number[];
}

export class MemoryJournalStore implements JournalStore {
  private readonly streams = new Map<StreamName, Stream>();
  private readonly listeners = new Set<GrowthListener>();

  open(stream: StreamName): Journal {
    return new MemoryJournal(stream, () => this.streamOf(stream), () => this.grew(stream));
  }

  async list(): Promise<StreamName[]> {
    const names = [...this.streams.keys()].filter((s) => this.streams.get(s)!.events.length > 0);
    const ids = names.filter((s) => s.startsWith("experiments/")).sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
    return [...(names.includes("catalog") ? ["catalog" as const] : []), ...ids, ...(names.includes("registry") ? ["registry" as const] : [])];
  }

  watch(listener: GrowthListener): () => void {
    const own = (stream: StreamName) => listener(stream); // one registration per call, even for the same function
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  private streamOf(name: StreamName): Stream {
    let stream = this.streams.get(name);
    if (!stream) this.streams.set(name, (stream = { events: [], sizes: [] }));
    return stream;
  }

  private grew(stream: StreamName): void {
    for (const listener of [...this.listeners]) queueMicrotask(() => listener(stream));
  }
}

class MemoryJournal implements Journal {
  constructor(readonly name: StreamName, private readonly data: () => Stream, private readonly grew: () => void) {}

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void> {
    const stream = this.data();
    const last = stream.events.length;
    if (expectedSeq !== undefined && expectedSeq !== last) return Promise.reject(new ConcurrencyConflict(expectedSeq, last));
    if (drafts.length === 0) return Promise.resolve();
    let prev = last === 0 ? GENESIS_HASH : stream.events[last - 1]!.crc;
    const added: StoredEvent[] = [];
    const sizes: number[] = [];
    try {
      for (const [i, d] of drafts.entries()) {
        const { line, crc } = encodeLine(d, last + i + 1, prev);
        added.push(JSON.parse(line) as StoredEvent);
        sizes.push(Buffer.byteLength(line));
        prev = crc;
      }
    } catch (err) {
      return Promise.reject(err); // nothing applied
    }
    stream.events.push(...added);
    stream.sizes.push(...sizes);
    this.grew();
    return Promise.resolve();
  }

  async read(from: Position, options: ReadOptions = {}): Promise<ReadChunk> {
    const { maxBytes = Infinity, onCorrupt = "throw", accepts } = options;
    const { events: all, sizes } = this.data();
    if (from.seq > all.length) throw new JournalCorrupted(this.name, from.seq, from.seq, "broken-chain");
    const events: StoredEvent[] = [];
    const problems: Problem[] = [];
    let at = from.seq;
    let bytes = 0;
    while (at < all.length && (at === from.seq || bytes < maxBytes)) {
      const e = all[at]!;
      bytes += sizes[at]!;
      at++;
      if (accepts && !accepts(e)) {
        if (onCorrupt === "throw") throw new JournalCorrupted(this.name, at, at - 1, "unknown-event");
        problems.push({ line: at, offset: at - 1, kind: "unknown-event" });
      } else events.push(structuredClone(e));
    }
    const end: MemoryPosition = { seq: at, hash: at === 0 ? GENESIS_HASH : all[at - 1]!.crc };
    return { events, end, problems, tornTail: null, atEnd: at === all.length };
  }

  async holds(position: Position): Promise<boolean> {
    const { seq, hash } = position as Partial<MemoryPosition>;
    if (seq === 0) return true;
    const e = seq === undefined ? undefined : this.data().events[seq - 1];
    return e !== undefined && e.crc === hash;
  }
}

const holderKey = (h: BlobHolder) => (h.kind === "run" ? `run\0${h.runId}\0${h.name}` : "registry");

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly holds = new Map<string, Set<string>>();
  /** Which blob each holder holds (a holder holds one blob at a time, as a link names one file). */
  private readonly held = new Map<string, string>();
  private cache: string | undefined;

  async put(source: BlobSource): Promise<BlobRef> {
    let bytes: Buffer;
    if ("file" in source) {
      const info = await stat(source.file).catch(() => null);
      if (!info) throw new ArtifactNotFound(source.file, "no such file");
      if (!info.isFile()) throw new InvalidInput("localPath", `${source.file} is not a regular file`);
      bytes = await readFile(source.file);
    } else bytes = Buffer.from(source.bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (!this.blobs.has(sha256)) this.blobs.set(sha256, bytes);
    return { sha256, size: bytes.length };
  }

  async attach(sha256: string, holder: BlobHolder): Promise<boolean> {
    if (!this.blobs.has(sha256)) return false;
    const key = holderKey(holder);
    const before = holder.kind === "run" ? this.held.get(key) : undefined;
    if (before !== undefined && before !== sha256) this.drop(before, key);
    if (holder.kind === "run") this.held.set(key, sha256);
    let holders = this.holds.get(sha256);
    if (!holders) this.holds.set(sha256, (holders = new Set()));
    holders.add(key);
    return true;
  }

  async detach(holds: ReadonlyArray<{ sha256: string; holder: BlobHolder }>): Promise<void> {
    for (const { sha256, holder } of holds) {
      const key = holderKey(holder);
      if (holder.kind === "run") this.held.delete(key);
      this.drop(sha256, key);
    }
  }

  async read(sha256: string): Promise<Buffer> {
    const bytes = this.blobs.get(sha256);
    if (!bytes) throw new ArtifactNotFound(sha256, "its stored bytes are gone");
    return Buffer.from(bytes);
  }

  async localPath(sha256: string, holder: { kind: "run"; runId: string; name: string }, options: { repair: boolean }): Promise<string> {
    const bytes = this.blobs.get(sha256);
    if (!bytes) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
    if (this.held.get(holderKey(holder)) !== sha256) {
      if (!options.repair) throw new ArtifactNotFound(holder.name, "no longer linked in the live store");
      await this.attach(sha256, holder);
    }
    this.cache ??= await mkdtemp(join(tmpdir(), "runelog-memory-"));
    const path = join(this.cache, sha256, holder.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    return path;
  }

  private drop(sha256: string, key: string): void {
    const holders = this.holds.get(sha256);
    holders?.delete(key);
    if (!holders || holders.size === 0) {
      this.holds.delete(sha256);
      this.blobs.delete(sha256);
    }
  }
}

export class MemorySnapshotStore implements SnapshotStore {
  private readonly saved = new Map<string, { version: number; position: Position; data: unknown }>();

  async load(stream: StreamName, projection: string, version: number): Promise<{ position: Position; data: unknown } | null> {
    const found = this.saved.get(`${stream}\0${projection}`);
    return found && found.version === version ? structuredClone({ position: found.position, data: found.data }) : null;
  }

  async save(stream: StreamName, projection: string, version: number, position: Position, data: unknown): Promise<void> {
    this.saved.set(`${stream}\0${projection}`, structuredClone({ version, position, data }));
  }
}

export class MemoryStore implements Store {
  readonly location = "memory";
  readonly journals = new MemoryJournalStore();
  readonly blobs = new MemoryBlobStore();
  readonly snapshots = new MemorySnapshotStore();

  async exists(): Promise<boolean> {
    return (await this.journals.list()).length > 0;
  }

  async close(): Promise<void> {}
}
