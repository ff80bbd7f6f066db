/**
 * What an importer reads from another tracker's store, before anything is written: experiments,
 * runs, metric points, artifact files and registered versions, plus every piece it had to skip.
 * The readers (src/interop/runelog-py.ts, mlflow.ts) fill it; src/api/import.ts turns it into
 * events. A module of its own so that both sides can use it (the api never imports interop).
 */
import type { GitMeta, RunStatus } from "./events.js";

export type SourceKind = "runelog-py" | "mlflow";

export interface Skipped {
  /** The file or folder, relative to the source. */
  path: string;
  reason: string;
}

export interface SourcePoint {
  value: number;
  step: number;
  /** Epoch milliseconds. */
  timestamp: number;
}

export interface SourceArtifact {
  /** The name in runelog (may hold folders: "plots/roc.png"). */
  name: string;
  /** The file's absolute path in the source. */
  file: string;
}

export interface SourceRun {
  /** The `import.source` tag: `<kind>:<experiment id>/<run id>`. */
  origin: string;
  sourceId: string;
  /** The run's folder, relative to the source. */
  path: string;
  status: RunStatus;
  startTime: string;
  endTime: string | null;
  /** The parent's origin, when the source nests runs. */
  parentOrigin: string | null;
  deleted: boolean;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  /** Every point of each metric, in the source's logging order. */
  metrics: Record<string, SourcePoint[]>;
  artifacts: SourceArtifact[];
  git: GitMeta | null;
}

export interface SourceExperiment {
  /** The `import.source` tag: `<kind>:<experiment id>`. */
  origin: string;
  name: string;
  createdAt: string | null;
  deleted: boolean;
  tags: Record<string, string>;
  runs: SourceRun[];
}

export interface SourceVersion {
  /** The `import.source` tag: `<kind>:models/<name>/<version>`. */
  origin: string;
  /** The source run's origin, when the run is known. */
  runOrigin: string | null;
  /** The source's own run id (kept when the run is gone). */
  sourceRunId: string;
  /** The artifact of that run the version was made from, when there is one. */
  artifactName: string | null;
  /** The bytes registered. */
  file: string;
  registeredAt: string;
  tags: Record<string, string>;
}

export interface SourceModel {
  name: string;
  /** In the source's order. */
  versions: SourceVersion[];
  /** alias → the version's origin */
  aliases: Record<string, string>;
}

export interface SourceStore {
  kind: SourceKind;
  /** The folder read, as given. */
  root: string;
  /** The folder read, as a path (an MLflow `file:` URI resolved). */
  dir: string;
  /** The source keeps only each metric's latest value (a changed value is a new point). */
  latestOnly: boolean;
  experiments: SourceExperiment[];
  models: SourceModel[];
  skipped: Skipped[];
}

/** A source that cannot be read at all (exit code 2). */
export class UnreadableSource extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnreadableSource";
  }
}


export interface ImportProgress {
  done: number;
  total: number;
  /** What was just imported (an `import.source` id). */
  item: string;
}

export interface ImportOptions {
  from: SourceKind;
  /** The source store's folder (or an MLflow `file:` URI). */
  source: string;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportReport {
  /** Experiments created (an existing live one of the same name receives runs without being counted). */
  experiments: number;
  runs: number;
  metricPoints: number;
  artifacts: number;
  /** Registered models that did not exist before. */
  models: number;
  versions: number;
  /** Events appended by this import (0 when the source holds nothing new). */
  events: number;
  skipped: Skipped[];
}
