/**
 * Projection snapshots: a projector's state and the journal position it reached, so a cold start
 * folds only what came after. A snapshot is a cache, never a source of truth: it is written by
 * temp file + rename, carries a sha256 of its whole content, is read only if that checksum and its
 * format, schema and projection versions match, and used only if the journal's line at its
 * position still has the sequence number and crc it recorded. One that fails the checksum is
 * ignored (the projector folds from the journal and saves a fresh one) and verify() warns of it.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { deserialize, serialize } from "node:v8";
import { SCHEMA_VERSION } from "../events.js";
import type { StorePaths } from "./paths.js";
import type { CacheWarning, Position, SnapshotStore, StreamName } from "./types.js";

const FORMAT = 2;
/** File layout: this magic line, the sha256 (hex) of the body and a newline, then the body (v8 serialized). */
const MAGIC = "runelog-snapshot\n";
const HEADER_BYTES = MAGIC.length + 64 + 1;

export type SnapshotLoad = { position: Position; data: unknown } | null | "damaged";

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

  async load(stream: StreamName, projection: string, version: number): Promise<SnapshotLoad> {
    let bytes: Buffer;
    try {
      const file = this.file(stream, projection);
      if (!this.paths.isSafeDir(dirname(file))) return null;
      bytes = await readFile(file);
    } catch {
      return null; // missing or unreadable: fold from the start
    }
    const body = checkedBody(bytes);
    if (!body) return "damaged";
    try {
      const snap = deserialize(body) as SnapshotFile;
      if (snap.format !== FORMAT || snap.schema !== SCHEMA_VERSION || snap.projection !== projection || snap.version !== version) return null;
      return { position: snap.position, data: snap.data };
    } catch {
      return "damaged";
    }
  }

  async save(stream: StreamName, projection: string, version: number, position: Position, data: unknown): Promise<void> {
    const file = this.file(stream, projection);
    const temp = this.paths.tempReady();
    this.paths.makeDir(dirname(file));
    const snap: SnapshotFile = { format: FORMAT, schema: SCHEMA_VERSION, projection, version, position: { ...position }, data };
    const body = serialize(snap);
    const header = Buffer.from(`${MAGIC}${createHash("sha256").update(body).digest("hex")}\n`, "latin1");
    try {
      await writeFile(temp, Buffer.concat([header, body]), { flag: "wx" });
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
  }

  async check(): Promise<CacheWarning[]> {
    const dir = this.paths.snapshot("x").slice(0, -2);
    if (!this.paths.isSafeDir(dir)) return [];
    const warnings: CacheWarning[] = [];
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
      if (!name.endsWith(".snapshot")) continue;
      const file = this.paths.snapshot(name);
      const bytes = await readFile(file).catch(() => null);
      if (bytes && checkedBody(bytes)) continue;
      warnings.push({
        file: this.paths.display(file),
        kind: "bad-snapshot",
        message: "its checksum does not match its content: it is ignored (reads fold the journal instead) and replaced by the next snapshot",
      });
    }
    return warnings;
  }

  private file(stream: StreamName, projection: string): string {
    return this.paths.snapshot(`${stream.replace("/", "-")}.${projection}.snapshot`);
  }
}

/** The body, if the header is ours and its sha256 matches every byte after it. */
function checkedBody(bytes: Buffer): Buffer | null {
  if (bytes.length < HEADER_BYTES || bytes.toString("latin1", 0, MAGIC.length) !== MAGIC) return null;
  const body = bytes.subarray(HEADER_BYTES);
  const want = bytes.toString("latin1", MAGIC.length, MAGIC.length + 64);
  return createHash("sha256").update(body).digest("hex") === want ? body : null;
}
