/**
 * What an importer reads from another tracker's store, before anything is written: experiments,
 * runs, metric points, artifact files and registered versions, plus every piece it had to skip.
 * The readers (runelog-py.ts, mlflow.ts) fill it; import.ts turns it into events.
 */
import { readFile } from "node:fs/promises";
import type { GitMeta, RunStatus } from "../events.js";
import { parsePythonJson } from "./lines.js";

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

/** JSON as Python writes it (bare NaN, Infinity): the parsed value, or an error naming what is wrong. */
export async function readPythonJson(file: string): Promise<{ ok: true; value: unknown } | { ok: false; reason: string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    return { ok: false, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})` };
  }
  if (text.length === 0) return { ok: false, reason: "empty file (a writer was killed before it wrote)" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const value = parsePythonJson(text);
    if (value !== undefined) return { ok: true, value };
    return { ok: false, reason: `not valid JSON (${text.length} bytes, cut off or damaged)` };
  }
}

/** A naive ISO time (Python's datetime.isoformat() without a zone) read as UTC; null when it is not a time. */
export function naiveTime(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Tag values in runelog are strings: other JSON values are kept as their JSON text. */
export function tagText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
}
