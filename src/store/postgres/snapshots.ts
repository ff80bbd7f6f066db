/**
 * Projection snapshots in the `snapshots` table: one row per (stream, projection), the state and
 * position serialized with v8 and checksummed (sha256). Never trusted blindly: a row whose checksum,
 * format or versions do not match loads as null, and the projector checks the journal still holds
 * its position. Saving is best effort and creates the schema only if a write already did.
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { SCHEMA_VERSION } from "../../events.js";
import type { Position, SnapshotStore, StreamName } from "../types.js";
import type { PgConnection } from "./connection.js";

const FORMAT = 1;

interface Snap {
  format: number;
  schema: number;
  projection: string;
  version: number;
  position: Position;
  data: unknown;
}

export class PgSnapshotStore implements SnapshotStore {
  /** Uploads still under way: closing the store waits for them (see save). */
  private readonly uploads = new Set<Promise<unknown>>();

  constructor(private readonly conn: PgConnection) {}

  async load(stream: StreamName, projection: string, version: number): Promise<{ position: Position; data: unknown } | null> {
    try {
      const row = (await this.conn.query<{ body: Buffer }>(`SELECT body FROM ${this.conn.table("snapshots")} WHERE stream = $1 AND projection = $2`, [stream, projection])).rows[0];
      if (!row || row.body.length < 32) return null;
      const payload = row.body.subarray(32);
      if (!createHash("sha256").update(payload).digest().equals(row.body.subarray(0, 32))) return null;
      const snap = deserialize(payload) as Snap;
      if (snap.format !== FORMAT || snap.schema !== SCHEMA_VERSION || snap.projection !== projection || snap.version !== version) return null;
      return { position: snap.position, data: snap.data };
    } catch {
      return null; // missing table, unreadable row: fold from the start
    }
  }

  /**
   * Serializes now (the state may change after this returns) and uploads in the background: a big
   * experiment's snapshot is tens of MB, and the read that crossed the cadence should not wait for
   * it. Closing the store waits for uploads under way (`settled`): a script that reads once and
   * closes — the usual cold start — would otherwise end the pool under the upload and never leave a
   * snapshot. A failed upload leaves the previous snapshot (or none): it is only a cache.
   */
  async save(stream: StreamName, projection: string, version: number, position: Position, data: unknown): Promise<void> {
    const payload = serialize({ format: FORMAT, schema: SCHEMA_VERSION, projection, version, position: { ...position }, data } satisfies Snap);
    const body = Buffer.concat([createHash("sha256").update(payload).digest(), payload]);
    const upload = this.conn
      .query(
        `INSERT INTO ${this.conn.table("snapshots")} (stream, projection, body) VALUES ($1, $2, $3) ON CONFLICT (stream, projection) DO UPDATE SET body = EXCLUDED.body`,
        [stream, projection, body],
      )
      .catch(() => {})
      .finally(() => this.uploads.delete(upload));
    this.uploads.add(upload);
  }

  /** Resolves once every upload started so far has finished or failed. */
  async settled(): Promise<void> {
    while (this.uploads.size > 0) await Promise.all([...this.uploads]);
  }
}
