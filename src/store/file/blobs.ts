/**
 * Blobs in a folder store: `.runelog/blobs/<sh>/<sha256>`, read-only, whole or absent (temp file,
 * then rename). A holder holds a blob by a hard link to it (a run's artifact under
 * `.runelog/artifacts/<run>/<name>`, the registry's under `.runelog/holds/registry/`); a blob whose
 * only link is its own name is held by nothing.
 *
 * Attaching (link) and removing an unheld blob (stat → nlink 1 → unlink) happen under one lock,
 * `.runelog/blobs.lock`: otherwise a remover could see nlink 1, another process link the blob, and
 * the remover then unlink the name the new holder relies on (test/blob.race.test.ts). Putting is not
 * locked: a put whose blob is removed before it attaches finds it absent and puts it again.
 */
import { linkSync, mkdirSync, renameSync, statSync, unlinkSync, copyFileSync } from "node:fs";
import { stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ArtifactNotFound } from "../../errors.js";
import { type LockOptions, withLock } from "../../journal/lock.js";
import { putBytes, putFile, readBlob } from "../artifacts.js";
import type { StorePaths } from "../paths.js";
import type { BlobHolder, BlobRef, BlobSource, BlobStore } from "../types.js";

export class FileBlobStore implements BlobStore {
  constructor(private readonly paths: StorePaths, private readonly lock: LockOptions) {}

  put(source: BlobSource): Promise<BlobRef> {
    return "file" in source ? putFile(this.paths, source.file) : putBytes(this.paths, source.bytes);
  }

  async attach(sha256: string, holder: BlobHolder): Promise<boolean> {
    const blob = this.paths.blob(sha256);
    const at = this.linkOf(sha256, holder);
    const temp = this.paths.temp();
    return this.locked(() => {
      mkdirSync(dirname(temp), { recursive: true });
      mkdirSync(dirname(at), { recursive: true });
      try {
        linkSync(blob, temp);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return false;
        if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw err;
        copyFileSync(blob, temp); // a file system without hard links: a copy serves
      }
      renameSync(temp, at);
      return true;
    });
  }

  async detach(holds: ReadonlyArray<{ sha256: string; holder: BlobHolder }>): Promise<void> {
    if (holds.length === 0) return;
    for (const { sha256, holder } of holds) await unlink(this.linkOf(sha256, holder)).catch(() => {});
    const blobs = [...new Set(holds.map((h) => h.sha256))].map((sha) => this.paths.blob(sha));
    await this.locked(() => {
      for (const blob of blobs) {
        try {
          if (statSync(blob).nlink === 1) unlinkSync(blob);
        } catch {
          // already gone
        }
      }
    });
  }

  read(sha256: string): Promise<Buffer> {
    return readBlob(this.paths, sha256);
  }

  async localPath(sha256: string, holder: { kind: "run"; runId: string; name: string }, options: { repair: boolean }): Promise<string> {
    const path = this.linkOf(sha256, holder);
    const [linked, blob] = await Promise.all([stat(path).catch(() => null), stat(this.paths.blob(sha256)).catch(() => null)]);
    if (!blob) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
    if (linked && linked.ino === blob.ino) return path;
    // A view of the past writes nothing, so it cannot restore a link released since.
    if (!options.repair) throw new ArtifactNotFound(holder.name, "no longer linked in the live store");
    // The link may be missing (a store copied without links) or name a newer artifact of the same name.
    if (!(await this.attach(sha256, holder))) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
    return path;
  }

  private linkOf(sha256: string, holder: BlobHolder): string {
    return holder.kind === "run" ? this.paths.runArtifact(holder.runId, holder.name) : this.paths.registryHold(sha256);
  }

  private async locked<T>(fn: () => T): Promise<T> {
    mkdirSync(this.paths.root, { recursive: true });
    return withLock(join(this.paths.root, "blobs"), this.lock, fn);
  }
}
