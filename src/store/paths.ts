/**
 * Every path under `.runelog/`, in one place. Each segment is checked, so no name can leave the store;
 * and before runelog writes under a folder, every folder between `.runelog/` and it must be a real
 * folder (runelog made it, or it looks like one runelog made): a symbolic link planted under
 * `.runelog/` is never followed for a write. `.runelog/` itself may be a link its owner made.
 */
import { lstatSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { InvalidInput, UnsafeStorePath } from "../errors.js";

export { UnsafeStorePath };
import * as validate from "../validate.js";
import { newId } from "../events.js";

export const STORE_DIR = ".runelog";

export class StorePaths {
  /** Absolute path of `.runelog/`. */
  readonly root: string;

  constructor(base: string) {
    this.root = resolve(base, STORE_DIR);
  }

  get catalog(): string {
    return join(this.root, "catalog.ndjson");
  }

  get registry(): string {
    return join(this.root, "registry.ndjson");
  }

  experiment(experimentId: string): string {
    if (!/^\d+$/.test(experimentId)) throw new InvalidInput("experimentId", `must be digits, got ${validate.describe(experimentId)}`);
    return join(this.root, "experiments", `${experimentId}.ndjson`);
  }

  blob(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new InvalidInput("sha256", "must be 64 lowercase hex digits");
    return join(this.root, "blobs", sha256.slice(0, 2), sha256);
  }

  /** A fresh temporary path on the store's file system, for write-then-rename; create it exclusively ("wx"). */
  temp(): string {
    return join(this.root, "tmp", newId());
  }

  /** A fresh temporary path whose folder is ready (a real folder inside the store). */
  tempReady(): string {
    const temp = this.temp();
    this.makeDir(dirname(temp));
    return temp;
  }

  snapshot(file: string): string {
    return this.inside(join(this.root, "snapshots", file));
  }

  /** Where a run's artifact is reachable by name (folders in the name are folders here): a hard link to its blob. */
  runArtifact(runId: string, artifactName: string): string {
    validate.artifactName("artifactName", artifactName);
    return this.inside(join(this.root, "artifacts", validate.name("runId", runId), ...artifactName.split("/")));
  }

  runArtifacts(runId: string): string {
    return this.inside(join(this.root, "artifacts", validate.name("runId", runId)));
  }

  /** A link that keeps a blob alive while a registered model version uses it. */
  registryHold(sha256: string): string {
    return join(this.root, "holds", "registry", sha256);
  }

  /** The path as a person reads it in errors and reports: relative to the store's parent. */
  display(path: string): string {
    return relative(resolve(this.root, ".."), path);
  }

  /**
   * Makes `dir` (inside the store) exist as real folders: creates the store and each missing
   * segment, and refuses a segment that is a symbolic link or not a folder. Synchronous: a few
   * lstat calls, and callers need it before their first write.
   */
  makeDir(dir: string): void {
    mkdirSync(this.root, { recursive: true });
    for (const at of this.segments(dir)) {
      try {
        mkdirSync(at);
        continue;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      checkDir(at, this.display(at));
    }
    this.assertInside(dir);
  }

  /** Whether every folder from the store down to `dir` exists and is a real folder (reads and removals use this; it creates nothing). */
  isSafeDir(dir: string): boolean {
    try {
      if (!lstatSync(this.root, { throwIfNoEntry: false })) return false;
      for (const at of this.segments(dir)) checkDir(at, at);
      return true;
    } catch {
      return false;
    }
  }

  /** Refuses a path that resolves outside the store (its folder's real path must be under the store's real path). */
  assertInside(path: string): void {
    const root = realpathSync(this.root);
    const real = realpathSync(path);
    if (real !== root && !real.startsWith(root + sep)) throw new UnsafeStorePath(this.display(path), "outside", `it resolves to ${real}, outside the store`);
  }

  /** The folders from just below the root down to `dir`. */
  private segments(dir: string): string[] {
    const rel = relative(this.root, dir);
    if (rel === "") return [];
    if (rel.startsWith("..") || resolve(this.root, rel) !== dir) throw new InvalidInput("path", `${dir} is outside the store`);
    const out: string[] = [];
    let at = this.root;
    for (const part of rel.split(sep)) out.push((at = join(at, part)));
    return out;
  }

  private inside(path: string): string {
    if (!path.startsWith(this.root + sep)) throw new InvalidInput("path", `${path} is outside the store`);
    return path;
  }
}

function checkDir(at: string, shown: string): void {
  const st = lstatSync(at);
  if (st.isSymbolicLink()) throw new UnsafeStorePath(shown, "link", "it is a symbolic link");
  if (!st.isDirectory()) throw new UnsafeStorePath(shown, "not-a-folder", "it is not a folder");
}
