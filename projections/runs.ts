/** The runs of one experiment journal: status, params, tags, latest metrics, metric history, artifacts. */
import { decodeNumber, type EnvMeta, type GitMeta, type ModelFormat, type RunStatus } from "../src/events.js";
import type { Projection } from "./fold.js";
import { MetricSeries, type SeriesSlice } from "./series.js";

export interface LatestMetric {
  value: number;
  step: number;
  timestamp: number;
}

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
  metrics: Record<string, LatestMetric>;
  history: Record<string, SeriesSlice>;
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
  initial: () => ({ runs: {} }),
  evolve(state, event) {
    if (event.type === "RunStarted") {
      const d = event.data;
      if (state.runs[d.runId]) return;
      state.runs[d.runId] = {
        runId: d.runId,
        experimentId: d.experimentId,
        parentRunId: d.parentRunId,
        status: "RUNNING",
        startTime: event.ts,
        endTime: null,
        pid: d.pid,
        host: d.host,
        params: {},
        tags: { ...d.tags },
        metrics: {},
        history: {},
        artifacts: {},
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
        run.endTime = event.ts;
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
        for (const [key, encoded] of Object.entries(event.data.metrics)) {
          const value = decodeNumber(encoded);
          const slice = run.history[key];
          const series = !slice ? new MetricSeries() : slice.series.length === slice.length ? slice.series : slice.series.fork(slice.length);
          run.history[key] = { series, length: series.push(value, step, timestamp) };
          const latest = run.metrics[key];
          if (!latest || step > latest.step || (step === latest.step && timestamp >= latest.timestamp)) {
            run.metrics[key] = { value, step, timestamp };
          }
        }
        return;
      }
    }
  },
};
