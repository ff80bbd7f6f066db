/**
 * Content-addressed blob files: bytes go to a temp file, then take their sha256 as name, so a blob
 * is either whole or absent. Holding and removing blobs is src/store/file/blobs.ts.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { ArtifactNotFound, InvalidInput } from "../errors.js";
import type { StorePaths } from "./paths.js";

export interface BlobRef {
  sha256: string;
  size: number;
}

export async function putFile(paths: StorePaths, localPath: string): Promise<BlobRef> {
  const info = await stat(localPath).catch(() => null);
  if (!info) throw new ArtifactNotFound(localPath, "no such file");
  if (!info.isFile()) throw new InvalidInput("localPath", `${localPath} is not a regular file`);
  const temp = paths.temp();
  await mkdir(dirname(temp), { recursive: true });
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
    await pipeline(createReadStream(localPath), hasher, createWriteStream(temp));
    return await settle(paths, temp, { sha256: hash.digest("hex"), size });
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

export async function putBytes(paths: StorePaths, bytes: Uint8Array): Promise<BlobRef> {
  const ref = { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
  const temp = paths.temp();
  await mkdir(dirname(temp), { recursive: true });
  await writeFile(temp, bytes);
  return settle(paths, temp, ref);
}

async function settle(paths: StorePaths, temp: string, ref: BlobRef): Promise<BlobRef> {
  const target = paths.blob(ref.sha256);
  // Every run and registered version that holds these bytes shares this inode: make it read-only.
  await chmod(temp, 0o444);
  await mkdir(dirname(target), { recursive: true });
  // Never replace a blob that exists: its holders share its inode, and a remover judges it by
  // its link count (src/store/file/blobs.ts), so a new inode under the old name would look unheld.
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
  await unlink(temp).catch(() => {});
  return ref;
}

export async function readBlob(paths: StorePaths, sha256: string): Promise<Buffer> {
  try {
    return await readFile(paths.blob(sha256));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ArtifactNotFound(sha256, "its stored bytes are gone");
    throw err;
  }
}
