/**
 * Blobs in PostgreSQL: `blobs` (sha256 primary key, the bytes) and `blob_holds` (who holds which
 * blob, a foreign key to `blobs`). Removing an unheld blob cannot race an attach: the attach's
 * foreign-key check locks the blob row, so the DELETE either waits and then fails on the new hold
 * (and the blob stays), or happens first and the attach finds the blob absent (and it is put again).
 * `localPath` materializes a verified copy under `cacheDir`.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { homedir, platform } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { ArtifactNotFound, InvalidInput } from "../../errors.js";
import { newId } from "../../events.js";
import * as validate from "../../validate.js";
import type { BlobHolder, BlobRef, BlobSource, BlobStore } from "../types.js";
import { isUndefinedTable, type PgConnection } from "./connection.js";

/** The OS's cache folder + `runelog`: where localPath puts copies of blobs. */
export function defaultCacheDir(): string {
  const base =
    process.env.XDG_CACHE_HOME ||
    (platform() === "darwin" ? join(homedir(), "Library", "Caches") : platform() === "win32" ? (process.env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local")) : join(homedir(), ".cache"));
  return join(base, "runelog");
}

function holderKey(holder: BlobHolder): string {
  return holder.kind === "run" ? `run:${holder.runId}/${holder.name}` : "registry";
}

const sha256Of = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export class PgBlobStore implements BlobStore {
  constructor(private readonly conn: PgConnection, private readonly cacheDir: string) {}

  async put(source: BlobSource): Promise<BlobRef> {
    let bytes: Buffer;
    if ("file" in source) {
      const info = await stat(source.file).catch(() => null);
      if (!info) throw new ArtifactNotFound(source.file, "no such file");
      if (!info.isFile()) throw new InvalidInput("localPath", `${source.file} is not a regular file`);
      bytes = await readFile(source.file);
    } else bytes = Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
    const ref = { sha256: sha256Of(bytes), size: bytes.length };
    await this.conn.ensureSchema();
    await this.conn.query(`INSERT INTO ${this.conn.table("blobs")} (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING`, [ref.sha256, ref.size, bytes]);
    return ref;
  }

  async attach(sha256: string, holder: BlobHolder): Promise<boolean> {
    await this.conn.ensureSchema();
    const key = holderKey(holder);
    return this.conn.withClient(async (c) => {
      try {
        await c.query("BEGIN");
        // A run's artifact name holds one blob: a new one replaces it (the registry holds many).
        const replaced = holder.kind === "run"
          ? (await c.query<{ sha256: string }>(`DELETE FROM ${this.conn.table("blob_holds")} WHERE holder = $1 AND sha256 <> $2 RETURNING sha256`, [key, sha256])).rows.map((r) => r.sha256)
          : [];
        await c.query(`INSERT INTO ${this.conn.table("blob_holds")} (holder, sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [key, sha256]);
        await c.query("COMMIT");
        await this.collect(replaced);
        return true;
      } catch (err) {
        await c.query("ROLLBACK").catch(() => {});
        if ((err as { code?: string }).code === "23503") return false; // the blob is absent
        throw err;
      }
    });
  }

  async detach(holds: ReadonlyArray<{ sha256: string; holder: BlobHolder }>): Promise<void> {
    if (holds.length === 0) return;
    try {
      await this.conn.query(
        `DELETE FROM ${this.conn.table("blob_holds")} h USING unnest($1::text[], $2::text[]) AS d(holder, sha256) WHERE h.holder = d.holder AND h.sha256 = d.sha256`,
        [holds.map((h) => holderKey(h.holder)), holds.map((h) => h.sha256)],
      );
    } catch (err) {
      if (isUndefinedTable(err)) return;
      throw err;
    }
    await this.collect([...new Set(holds.map((h) => h.sha256))]);
  }

  /** Removes each of these blobs that nothing holds; one that became held meanwhile stays (foreign key). */
  private async collect(shas: readonly string[]): Promise<void> {
    for (const sha256 of shas) {
      await this.conn
        .query(`DELETE FROM ${this.conn.table("blobs")} b WHERE b.sha256 = $1 AND NOT EXISTS (SELECT 1 FROM ${this.conn.table("blob_holds")} h WHERE h.sha256 = $1)`, [sha256])
        .catch((err) => {
          if ((err as { code?: string }).code !== "23503") throw err; // 23503: someone attached it meanwhile
        });
    }
  }

  async read(sha256: string): Promise<Buffer> {
    let rows: Array<{ bytes: Buffer }> = [];
    try {
      rows = (await this.conn.query<{ bytes: Buffer }>(`SELECT bytes FROM ${this.conn.table("blobs")} WHERE sha256 = $1`, [sha256])).rows;
    } catch (err) {
      if (!isUndefinedTable(err)) throw err;
    }
    if (!rows[0]) throw new ArtifactNotFound(sha256, "its stored bytes are gone");
    return rows[0].bytes;
  }

  async localPath(sha256: string, holder: { kind: "run"; runId: string; name: string }, options: { repair: boolean }): Promise<string> {
    const root = resolve(this.cacheDir);
    const path = join(root, sha256, validate.name("runId", holder.runId), validate.name("artifactName", holder.name));
    if (!path.startsWith(root + sep)) throw new InvalidInput("artifactName", `${holder.name} would leave the cache folder`);
    // As on a folder: the run must still hold these bytes in the live store (a view of the past cannot restore a released hold).
    let held = false;
    try {
      held = (await this.conn.query(`SELECT 1 FROM ${this.conn.table("blob_holds")} WHERE holder = $1 AND sha256 = $2`, [holderKey(holder), sha256])).rows.length > 0;
    } catch (err) {
      if (!isUndefinedTable(err)) throw err;
    }
    if (!held) {
      if (!options.repair) throw new ArtifactNotFound(holder.name, "no longer held in the live store");
      if (!(await this.attach(sha256, holder))) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
    }
    const cached = await readFile(path).catch(() => null);
    if (cached && sha256Of(cached) === sha256) return path;
    let bytes: Buffer;
    try {
      bytes = await this.read(sha256);
    } catch (err) {
      if (err instanceof ArtifactNotFound) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
      throw err;
    }
    if (sha256Of(bytes) !== sha256) throw new ArtifactNotFound(holder.name, "its stored bytes do not match their sha256");
    // The cache is ours, outside any store: writing a verified copy there is no write to the store.
    const temp = join(root, "tmp", newId());
    await mkdir(dirname(temp), { recursive: true });
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, bytes, { mode: 0o444 });
    await rename(temp, path);
    return path;
  }
}
