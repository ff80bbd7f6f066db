/**
 * Content-addressed blobs: bytes go to a temp file, then are renamed to their sha256, so a blob is
 * either whole or absent. Runs and the registry reach blobs through hard links; a blob whose only
 * link is its own name is referenced by nothing and may be removed.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { constants } from "node:fs";
import { chmod, copyFile, link, lstat, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { ArtifactNotFound, InvalidInput } from "../errors.js";
import { type StorePaths, UnsafeStorePath } from "./paths.js";

export interface BlobRef {
  sha256: string;
  size: number;
}

export async function putFile(paths: StorePaths, localPath: string): Promise<BlobRef> {
  const info = await stat(localPath).catch(() => null);
  if (!info) throw new ArtifactNotFound(localPath, "no such file");
  if (!info.isFile()) throw new InvalidInput("localPath", `${localPath} is not a regular file`);
  const temp = paths.tempReady();
  const hash = createHash("sha256");
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(localPath), hasher, createWriteStream(temp, { flags: "wx" }));
    return await settle(paths, temp, { sha256: hash.digest("hex"), size });
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

export async function putBytes(paths: StorePaths, bytes: Uint8Array): Promise<BlobRef> {
  const ref = { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
  const temp = paths.tempReady();
  try {
    await writeFile(temp, bytes, { flag: "wx" });
    return await settle(paths, temp, ref);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

async function settle(paths: StorePaths, temp: string, ref: BlobRef): Promise<BlobRef> {
  const target = paths.blob(ref.sha256);
  // Every run and registered version that holds these bytes shares this inode: make it read-only.
  await chmod(temp, 0o444);
  paths.makeDir(dirname(target));
  // Keep a blob that exists: replacing it would part it from the links that share its inode (and
  // its link count is how release() knows nothing holds it any more).
  try {
    await link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EEXIST") {
      if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw err;
      await rename(temp, target); // a file system without hard links
      return ref;
    }
  }
  await unlink(temp);
  return ref;
}

/**
 * Makes `linkPath` a hard link to the blob (atomically replacing what was there). Returns false when
 * the blob vanished meanwhile (released by a concurrent delete): the caller puts it again.
 */
export async function linkBlob(paths: StorePaths, sha256: string, linkPath: string, argument = "name"): Promise<boolean> {
  const blob = paths.blob(sha256);
  if (!paths.isSafeDir(dirname(blob))) return false; // no blob folder, or one runelog did not make: put the bytes again
  const temp = paths.tempReady();
  try {
    paths.makeDir(dirname(linkPath));
  } catch (err) {
    throw clash(err, argument, paths.display(linkPath));
  }
  try {
    await link(blob, temp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw err;
    await copyFile(blob, temp, constants.COPYFILE_EXCL); // a file system without hard links: a copy serves
  }
  try {
    await rename(temp, linkPath); // replaces a link at linkPath itself, never follows it
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw clash(err, argument, paths.display(linkPath));
  }
  return true;
}

/** An artifact "a" and an artifact "a/b" cannot both be files: the second one's name is refused. */
function clash(err: unknown, argument: string, shown: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if ((err instanceof UnsafeStorePath && err.kind === "not-a-folder") || code === "ENOTDIR" || code === "EISDIR" || code === "EEXIST" || code === "ENOTEMPTY") {
    return new InvalidInput(argument, `${shown} clashes with another artifact of this run (one name is a folder of the other)`);
  }
  return err;
}

/** Stores a local file's bytes and links them at `linkPath`. */
export async function storeFileAt(paths: StorePaths, localPath: string, linkPath: string): Promise<BlobRef> {
  return linkPut(paths, () => putFile(paths, localPath), linkPath);
}

export async function storeBytesAt(paths: StorePaths, bytes: Uint8Array, linkPath: string): Promise<BlobRef> {
  return linkPut(paths, () => putBytes(paths, bytes), linkPath);
}

async function linkPut(paths: StorePaths, put: () => Promise<BlobRef>, linkPath: string): Promise<BlobRef> {
  for (;;) {
    const ref = await put();
    let linked: boolean;
    try {
      linked = await linkBlob(paths, ref.sha256, linkPath);
    } catch (err) {
      await releaseBlob(paths, ref.sha256);
      throw err;
    }
    if (linked) return ref;
  }
}

/**
 * Where a run's artifact is, as a path inside the store whose last segment is its name: its link,
 * restored when missing or stale (unless `canWrite` is false: a view of the past writes nothing).
 */
export async function artifactPath(paths: StorePaths, runId: string, name: string, sha256: string, canWrite: boolean): Promise<string> {
  const path = paths.runArtifact(runId, name);
  const blobPath = paths.blob(sha256);
  const blob = paths.isSafeDir(dirname(blobPath)) ? await stat(blobPath).catch(() => null) : null;
  if (!blob) throw new ArtifactNotFound(name, "its stored bytes are gone");
  const linked = paths.isSafeDir(dirname(path)) ? await lstat(path).catch(() => null) : null;
  if (linked && linked.isFile() && linked.ino === blob.ino && linked.dev === blob.dev) {
    paths.assertInside(path);
    return path;
  }
  if (!canWrite) throw new ArtifactNotFound(name, "no longer linked in the live store");
  // The link may be missing (a store copied without links) or name a newer artifact of the same name.
  if (!(await linkBlob(paths, sha256, path, "artifactName"))) throw new ArtifactNotFound(name, "its stored bytes are gone");
  paths.assertInside(path);
  return path;
}

export async function readBlob(paths: StorePaths, sha256: string): Promise<Buffer> {
  try {
    if (!paths.isSafeDir(dirname(paths.blob(sha256)))) throw Object.assign(new Error("blob folder missing or not runelog's"), { code: "ENOENT" });
    return await readFile(paths.blob(sha256));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ArtifactNotFound(sha256, "its stored bytes are gone");
    throw err;
  }
}

/** Removes links; then removes each blob that no other link holds. */
export async function release(paths: StorePaths, links: ReadonlyArray<{ path: string; sha256: string }>): Promise<void> {
  // Only through real folders: a planted link would make unlink remove a file outside the store.
  for (const { path } of links) if (paths.isSafeDir(dirname(path))) await unlink(path).catch(() => {});
  for (const sha256 of new Set(links.map((l) => l.sha256))) await releaseBlob(paths, sha256);
}

/** Removes a blob that no link holds any more. */
export async function releaseBlob(paths: StorePaths, sha256: string): Promise<void> {
  const blob = paths.blob(sha256);
  if (!paths.isSafeDir(dirname(blob))) return;
  const info = await lstat(blob).catch(() => null);
  if (info && info.isFile() && info.nlink === 1) await unlink(blob).catch(() => {});
}
