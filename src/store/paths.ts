/** Every path under `.runelog/`, in one place. Each segment is checked, so no name can leave the store. */
import { join, relative, resolve, sep } from "node:path";
import { InvalidInput } from "../errors.js";
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

  /** A fresh temporary path on the store's file system, for write-then-rename. */
  temp(): string {
    return join(this.root, "tmp", newId());
  }

  /** Where a run's artifact is reachable by name: a hard link to its blob. */
  runArtifact(runId: string, artifactName: string): string {
    return this.inside(join(this.root, "artifacts", segment("runId", runId), ...validate.artifactName("artifactName", artifactName).split("/")));
  }

  runArtifacts(runId: string): string {
    return this.inside(join(this.root, "artifacts", segment("runId", runId)));
  }

  /** A link that keeps a blob alive while a registered model version uses it. */
  registryHold(sha256: string): string {
    return join(this.root, "holds", "registry", sha256);
  }

  /** The path as a person reads it in errors and reports: relative to the store's parent. */
  display(path: string): string {
    return relative(resolve(this.root, ".."), path);
  }

  private inside(path: string): string {
    if (!path.startsWith(this.root + sep)) throw new InvalidInput("path", `${path} is outside the store`);
    return path;
  }
}

function segment(argument: string, value: string): string {
  return validate.name(argument, value);
}
