/** The shapes the HTTP API answers with (docs: API.md, "The web UI and its HTTP API"). */
export type RunStatus = "RUNNING" | "FINISHED" | "FAILED" | "KILLED";
export const STATUSES: RunStatus[] = ["RUNNING", "FINISHED", "FAILED", "KILLED"];

/** Metric values as sent: JSON numbers, or the names of the values JSON cannot hold. */
export type WireNumber = number | "NaN" | "Infinity" | "-Infinity" | "-0";

export interface ExperimentRow {
  experimentId: string;
  name: string;
  createdAt: string;
  numRuns: number;
  lastRun: string | null;
  byStatus: Record<RunStatus, number>;
}

export interface Run {
  runId: string;
  experimentId: string;
  status: RunStatus;
  startTime: string;
  endTime: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, WireNumber>;
  tags: Record<string, string>;
  parentRunId?: string | null;
}

export interface RunsAnswer {
  total: number;
  runs: Run[];
  keys: { params: string[]; metrics: string[]; tags: string[] };
}

export interface JournalEvent {
  seq: number;
  v: number;
  id: string;
  ts: string;
  type: string;
  data: Record<string, unknown>;
  prev: string;
  crc: string;
}

export interface MetricPoint {
  value: WireNumber;
  step: number;
  timestamp: number;
}

export interface RunDetails extends Run {
  artifacts: string[];
  metricHistory?: Record<string, MetricPoint[]>;
  parentRunId: string | null;
  git: { commit: string; branch: string | null; dirty: boolean } | null;
  env: { node: string; platform: string; arch: string; packages: Record<string, string> } | null;
  /** Points per metric key. */
  metricCounts?: Record<string, number>;
  /** The run's first events (the rest: /api/events?runId=…&after=eventsNext). */
  events?: JournalEvent[];
  eventsNext?: string | null;
}

export interface SeriesAnswer {
  runId: string;
  key: string;
  total: number;
  bucketed: boolean;
  /** [x, last, min, max] */
  points: Array<[number, WireNumber, WireNumber, WireNumber]>;
  /** x of each entry that holds a NaN (min and max skip NaN). */
  nanAt?: number[];
}

export interface ModelRow {
  name: string;
  latestVersion: string | null;
  versions: number;
  aliases: Record<string, string>;
}

export interface ModelVersion {
  modelName: string;
  version: string;
  sourceRunId: string;
  artifactName: string;
  registeredAt: string;
  tags: Record<string, string>;
  aliases: string[];
}

export interface EventsAnswer {
  events: JournalEvent[];
  next: string | null;
}

export interface DiffAnswer {
  runsStarted: unknown[];
  runsEnded: unknown[];
  paramsChanged: unknown[];
  aliasesMoved: unknown[];
  deleted: unknown[];
}

export interface VerifyReport {
  ok: boolean;
  journals: Array<{ file: string; events: number; problems: Array<{ line: number; offset: number; kind: string }> }>;
}
