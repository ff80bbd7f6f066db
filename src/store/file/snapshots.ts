/**
 * Projection snapshots: a projector's state and the journal position it reached, so a cold start
 * folds only what came after. A snapshot is a cache, never a source of truth: it is written by
 * temp file + rename, read only if its format, schema and projection versions match, and used only
 * if the journal's line at its position still has the sequence number and crc it recorded.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { SCHEMA_VERSION } from "../../events.js";
import type { Position, StreamName } from "./journal/index.js";
import type { StorePaths } from "./paths.js";

const FORMAT = 1;

export interface SnapshotStore {
  load(stream: StreamName, projection: string, version: number): Promise<{ position: Position; data: unknown } | null>;
  save(stream: StreamName, projection: string, version: number, position: Position, data: unknown): Promise<void>;
}

interface SnapshotFile {
  format: number;
  schema: number;
  projection: string;
  version: number;
  position: Position;
  data: unknown;
}

export class FileSnapshotStore implements SnapshotStore {
  constructor(private readonly paths: StorePaths) {}

  async load(stream: StreamName, projection: string, version: number): Promise<{ position: Position; data: unknown } | null> {
    try {
      const snap = deserialize(await readFile(this.file(stream, projection))) as SnapshotFile;
      if (snap.format !== FORMAT || snap.schema !== SCHEMA_VERSION || snap.projection !== projection || snap.version !== version) return null;
      return { position: snap.position, data: snap.data };
    } catch {
      return null; // missing or unreadable: fold from the start
    }
  }

  async save(stream: StreamName, projection: string, version: number, position: Position, data: unknown): Promise<void> {
    const file = this.file(stream, projection);
    const temp = this.paths.temp();
    await mkdir(dirname(temp), { recursive: true });
    await mkdir(dirname(file), { recursive: true });
    const snap: SnapshotFile = { format: FORMAT, schema: SCHEMA_VERSION, projection, version, position: { ...position }, data };
    await writeFile(temp, serialize(snap));
    await rename(temp, file);
  }

  private file(stream: StreamName, projection: string): string {
    return join(this.paths.root, "snapshots", `${stream.replace("/", "-")}.${projection}.snapshot`);
  }
}
