/** The shapes the public API hands out and takes (re-exported by src/tracker.ts and src/index.ts). */
import type { EnvMeta, GitMeta, RunStatus } from "../events.js";
import type { ExperimentSummary, MetricPoint, ModelVersionView } from "../../projections/index.js";
import type { Instant } from "../audit.js";

export interface RuneLogOptions {
  /** The folder whose `.runelog/` holds the store. Default ".". */
  path?: string;
  /** fsync every group-commit batch before its promises resolve (survives power loss). Default false. */
  fsync?: boolean;
  /** A journal lock not refreshed for this long is taken over (its holder died). Default 10000, at least 2000. */
  lockStaleMs?: number;
  /** A writer waiting longer than this for a journal lock gets LockTimeout. Default 60000. */
  lockTimeoutMs?: number;
  /** "throw" (default): reading a damaged journal throws JournalCorrupted; "skip": damaged lines are passed over. */
  onCorrupt?: "throw" | "skip";
}

export interface Experiment {
  experimentId: string;
  name: string;
  createdAt: string;
}

export type { ExperimentSummary, MetricPoint };
export type ModelVersion = ModelVersionView;

export interface RunInfo {
  runId: string;
  experimentId: string;
  status: RunStatus;
  startTime: string;
  endTime: string | null;
}

export interface Run extends RunInfo {
  params: Record<string, unknown>;
  /** Latest value of each metric (highest step, then latest timestamp). */
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

export interface RunDetails extends Run {
  artifacts: string[];
  metricHistory: Record<string, MetricPoint[]>;
  parentRunId: string | null;
  git: GitMeta | null;
  env: EnvMeta | null;
}

export interface StartRunOptions {
  /** Experiment to log into; created when it does not exist. Wins over experimentId. */
  experimentName?: string;
  /** Default "0" (the Default experiment). */
  experimentId?: string;
  logGitMeta?: boolean;
  logEnv?: boolean;
  logCode?: boolean;
  tags?: Record<string, string>;
}

export interface EventsQuery {
  /** An experiment's name or id: only its journal. */
  experiment?: string;
  /** Only events about this run (and registry versions made from it). */
  runId?: string;
  /** Only events at or after this moment (a Date, epoch ms, ISO string or event id). */
  since?: Instant;
  /** Only events at or before this moment. */
  until?: Instant;
  /** After the stored events, go on with new ones as they are appended (like `tail -f`) until `signal` aborts. */
  follow?: boolean;
  /** Ends a `follow` iteration. */
  signal?: AbortSignal;
  /** With `follow`: called once, when every stored event has been yielded and only new ones follow. */
  onCaughtUp?: () => void;
}

export interface SortOptions {
  sortBy?: string;
  ascending?: boolean;
}
