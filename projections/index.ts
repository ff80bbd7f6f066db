export { dict, fold, replay, type Projection } from "./fold.js";
export { catalogProjection, findLiveExperiment, liveExperiments, type CatalogState, type ExperimentRecord } from "./experiments.js";
export { runsProjection, type ExperimentRunsState, type RunState, type ArtifactRecord } from "./runs.js";
export { registryProjection, modelVersions, versionView, VERSION_SORT_KEYS, type RegistryState, type ModelRecord, type VersionRecord, type ModelVersionView } from "./registry.js";
export { summarize, sortSummaries, SUMMARY_SORT_KEYS, type ExperimentSummary, type SummarySortKey } from "./summaries.js";
export { resultsTable, resultColumns, BASE_COLUMNS, type ResultRow } from "./results.js";
export { MetricLog, type MetricPoint } from "./series.js";
export { sortBy } from "./sort.js";
