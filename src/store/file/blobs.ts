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
import { constants, copyFileSync, linkSync, lstatSync, mkdirSync, renameSync, unlinkSync } from "node:fs";
import { lstat, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ArtifactNotFound, InvalidInput } from "../../errors.js";
import { type LockOptions, withLock } from "../../journal/lock.js";
import { putBytes, putFile, readBlob } from "../artifacts.js";
import { type StorePaths, UnsafeStorePath } from "../paths.js";
import type { BlobHolder, BlobRef, BlobSource, BlobStore } from "../types.js";

export class FileBlobStore implements BlobStore {
  constructor(private readonly paths: StorePaths, private readonly lock: LockOptions) {}

  put(source: BlobSource): Promise<BlobRef> {
    return "file" in source ? putFile(this.paths, source.file) : putBytes(this.paths, source.bytes);
  }

  async attach(sha256: string, holder: BlobHolder, argument = "name"): Promise<boolean> {
    const blob = this.paths.blob(sha256);
    const at = this.linkOf(sha256, holder);
    const temp = this.paths.temp();
    return this.locked(() => {
      // Only through folders runelog made (src/store/paths.ts): never a link planted under .runelog/.
      if (!this.paths.isSafeDir(dirname(blob))) return false; // no blob folder of ours: put the bytes again
      this.paths.makeDir(dirname(temp));
      try {
        this.paths.makeDir(dirname(at));
      } catch (err) {
        throw clash(err, argument, this.paths.display(at));
      }
      try {
        linkSync(blob, temp);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return false;
        if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw err;
        copyFileSync(blob, temp, constants.COPYFILE_EXCL); // a file system without hard links: a copy serves
      }
      try {
        renameSync(temp, at); // replaces a link at `at` itself, never follows it
      } catch (err) {
        try {
          unlinkSync(temp);
        } catch {
          // already gone
        }
        throw clash(err, argument, this.paths.display(at));
      }
      return true;
    });
  }

  async detach(holds: ReadonlyArray<{ sha256: string; holder: BlobHolder }>): Promise<void> {
    if (holds.length === 0) return;
    // Only through real folders: a planted link would make unlink remove a file outside the store.
    for (const { sha256, holder } of holds) {
      const link = this.linkOf(sha256, holder);
      if (this.paths.isSafeDir(dirname(link))) await unlink(link).catch(() => {});
    }
    const blobs = [...new Set(holds.map((h) => h.sha256))].map((sha) => this.paths.blob(sha)).filter((blob) => this.paths.isSafeDir(dirname(blob)));
    await this.locked(() => {
      for (const blob of blobs) {
        try {
          const st = lstatSync(blob);
          if (st.isFile() && st.nlink === 1) unlinkSync(blob);
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
    const blobPath = this.paths.blob(sha256);
    const blob = this.paths.isSafeDir(dirname(blobPath)) ? await stat(blobPath).catch(() => null) : null;
    if (!blob) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
    const linked = this.paths.isSafeDir(dirname(path)) ? await lstat(path).catch(() => null) : null;
    if (linked && linked.isFile() && linked.ino === blob.ino && linked.dev === blob.dev) {
      this.paths.assertInside(path);
      return path;
    }
    // A view of the past writes nothing, so it cannot restore a link released since.
    if (!options.repair) throw new ArtifactNotFound(holder.name, "no longer linked in the live store");
    // The link may be missing (a store copied without links) or name a newer artifact of the same name.
    if (!(await this.attach(sha256, holder, "artifactName"))) throw new ArtifactNotFound(holder.name, "its stored bytes are gone");
    this.paths.assertInside(path);
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

/** An artifact "a" and an artifact "a/b" cannot both be files: the second one's name is refused. */
function clash(err: unknown, argument: string, shown: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if ((err instanceof UnsafeStorePath && err.kind === "not-a-folder") || code === "ENOTDIR" || code === "EISDIR" || code === "EEXIST" || code === "ENOTEMPTY") {
    return new InvalidInput(argument, `${shown} clashes with another artifact of this run (one name is a folder of the other)`);
  }
  return err;
}
