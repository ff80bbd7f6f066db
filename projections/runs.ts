/** The runs of one experiment journal: status, params, tags, latest metrics, metric history, artifacts. */
import { decodeNumber, type EnvMeta, type GitMeta, type ModelFormat, type RunStatus } from "../src/events.js";
import { dict, type Projection } from "./fold.js";
import { MetricLog, type PlainMetricLog } from "./series.js";

export interface ArtifactRecord {
  sha256: string;
  size: number;
  model: ModelFormat | null;
}

export interface RunState {
  runId: string;
  experimentId: string;
  parentRunId: string | null;
  status: RunStatus;
  startTime: string;
  endTime: string | null;
  /** The process that owns the run now (the starter, or the last to resume it). */
  pid: number;
  host: string;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  /** Every metric point of the run; this state sees the first `metricCount` of them. */
  metricLog: MetricLog;
  metricCount: number;
  artifacts: Record<string, ArtifactRecord>;
  git: GitMeta | null;
  env: EnvMeta | null;
}

export interface ExperimentRunsState {
  /** By run id, in start order; deleted runs are removed. */
  runs: Record<string, RunState>;
}

export const runsProjection: Projection<ExperimentRunsState> = {
  name: "runs",
  initial: () => ({ runs: dict() }),
  evolve(state, event) {
    if (event.type === "RunStarted") {
      const d = event.data;
      if (state.runs[d.runId]) return;
      state.runs[d.runId] = {
        runId: d.runId,
        experimentId: d.experimentId,
        parentRunId: d.parentRunId,
        status: "RUNNING",
        startTime: d.startTime ?? event.ts,
        endTime: null,
        pid: d.pid,
        host: d.host,
        params: dict(),
        tags: dict(d.tags),
        metricLog: new MetricLog(),
        metricCount: 0,
        artifacts: dict(),
        git: d.git,
        env: d.env,
      };
      return;
    }
    if (!("runId" in event.data)) return;
    const run = state.runs[event.data.runId];
    if (!run) return; // an event for a deleted (or never started) run changes no view
    switch (event.type) {
      case "RunResumed":
        run.status = "RUNNING";
        run.endTime = null;
        run.pid = event.data.pid;
        run.host = event.data.host;
        return;
      case "RunEnded":
        run.status = event.data.status;
        run.endTime = event.data.endTime ?? event.ts;
        return;
      case "RunDeleted":
        delete state.runs[run.runId];
        return;
      case "ParamsLogged":
        Object.assign(run.params, event.data.params);
        return;
      case "TagsSet":
        Object.assign(run.tags, event.data.tags);
        return;
      case "ArtifactLogged": {
        const { name, sha256, size, model } = event.data;
        run.artifacts[name] = { sha256, size, model };
        return;
      }
      case "MetricsLogged": {
        const { step, timestamp } = event.data;
        let log = run.metricLog;
        if (log.length !== run.metricCount) log = run.metricLog = log.fork(run.metricCount); // folding on from an older state
        let count = run.metricCount;
        for (const key in event.data.metrics) count = log.push(key, decodeNumber(event.data.metrics[key]!), step, timestamp);
        run.metricCount = count;
        return;
      }
    }
  },
  snapshot: {
    version: 1,
    save: (state) =>
      Object.values(state.runs).map((run) => ({ ...run, params: { ...run.params }, tags: { ...run.tags }, artifacts: { ...run.artifacts }, metricLog: run.metricLog.toPlain(run.metricCount) })),
    load(data) {
      const runs = dict<RunState>();
      for (const r of data as Array<Omit<RunState, "metricLog"> & { metricLog: PlainMetricLog }>) {
        runs[r.runId] = { ...r, params: dict(r.params), tags: dict(r.tags), artifacts: dict(r.artifacts), metricLog: MetricLog.fromPlain(r.metricLog) };
      }
      return { runs };
    },
  },
};
