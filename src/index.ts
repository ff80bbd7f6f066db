export { RuneLog, getTracker } from "./tracker.js";
export type { RuneLogOptions, Experiment, ExperimentSummary, RunInfo, Run, RunDetails, StartRunOptions, ModelVersion, MetricPoint } from "./tracker.js";
export { ActiveRun } from "./run.js";
export type { MetricOptions, LogModelOptions } from "./run.js";
export type { ModelSerializer } from "./models.js";
export {
  RuneLogError, ExperimentNotFound, RunNotFound, ArtifactNotFound, ModelNotFound, NoVersionsFound, ModelVersionNotFound,
  NoActiveRun, InvalidInput, JournalCorrupted, LockTimeout, ReadOnlyView,
} from "./errors.js";
export type { RunStatus, JournalEvent, EventType, EventMap, GitMeta, EnvMeta, ModelFormat } from "./events.js";
export { SCHEMA_VERSION } from "./events.js";
export { runKeys, type SearchRunsOptions, type SearchedRun, type LoadResultsOptions } from "./api/search.js";
