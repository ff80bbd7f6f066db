/**
 * RuneLog: the public API, a thin facade. It is handed a store (openStore picks it from the path)
 * and delegates every call to one module per concept in src/api/. A view of the past (asOf) is the
 * same facade on a read-only store, with every write call refused in one place (WRITE_CALLS).
 */
import type { ColumnTable } from "arquero";
import { parseInstant, type Instant, type VerifyReport } from "./audit.js";
import { ArtifactsApi } from "./api/artifacts.js";
import { Context, type PastInstant } from "./api/context.js";
import { ExperimentsApi } from "./api/experiments.js";
import { HistoryApi } from "./api/history.js";
import { RegistryApi } from "./api/registry.js";
import { type RunFn, RunsApi } from "./api/runs.js";
import { type LoadResultsOptions, SearchApi, type SearchedRun, type SearchRunsOptions } from "./api/search.js";
import type { EventsQuery, Experiment, ExperimentSummary, MetricPoint, ModelVersion, Run, RunDetails, RunInfo, RuneLogOptions, StartRunOptions } from "./api/types.js";
import { InvalidInput, NoActiveRun, ReadOnlyView } from "./errors.js";
import type { JournalEvent } from "./events.js";
import type { ModelSerializer } from "./models.js";
import { type ActiveRun, type LogModelOptions, type MetricOptions, settled } from "./run.js";
import { DEFAULT_STORE_OPTIONS, openStore, readOnly, type Store } from "./store/index.js";
import * as validate from "./validate.js";

export type { EventsQuery, Experiment, ExperimentSummary, MetricPoint, ModelVersion, Run, RunDetails, RunInfo, RuneLogOptions, StartRunOptions } from "./api/types.js";

const TRACKER_OPTIONS = ["path", "fsync", "lockStaleMs", "lockTimeoutMs", "onCorrupt"];

/** Every call that writes. On a view of the past each one rejects with ReadOnlyView, before looking at its arguments. */
const WRITE_CALLS = [
  "getOrCreateExperiment", "deleteExperiment", "startRun", "resumeRun", "deleteRun",
  "logParam", "logParams", "logMetric", "logMetrics", "setTags", "logArtifact", "logModel",
  "registerModel", "addModelTags", "removeModelTags", "setModelAlias", "deleteModelAlias",
] as const satisfies ReadonlyArray<keyof RuneLog>;

/** Internal options, not part of the public ones: the store to use (instead of opening `path`), and the instant of an asOf() view. */
const STORE = Symbol("runelog.store");
const PAST = Symbol("runelog.asOf");
type InternalOptions = RuneLogOptions & { [STORE]?: Store; [PAST]?: PastInstant };

export class RuneLog {
  /** The folder that holds `.runelog/` (or the store's URL). */
  readonly path: string;
  /** Where the store is: a folder store's absolute `.runelog` path. */
  get storeDir(): string {
    return this.store.location;
  }
  private readonly options: RuneLogOptions;
  private readonly store: Store;
  private readonly ctx: Context;
  private readonly experiments: ExperimentsApi;
  private readonly runs: RunsApi;
  private readonly artifacts: ArtifactsApi;
  private readonly registry: RegistryApi;
  private readonly history: HistoryApi;
  private readonly search: SearchApi;

  constructor(pathOrOptions: string | RuneLogOptions = {}) {
    const o: InternalOptions = typeof pathOrOptions === "string" ? { path: pathOrOptions } : validate.optionsObject("options", pathOrOptions);
    for (const k of Object.keys(o)) if (!TRACKER_OPTIONS.includes(k)) throw new InvalidInput(`options.${k}`, `is not an option of RuneLog (${TRACKER_OPTIONS.join(", ")})`);
    this.options = { ...o };
    this.path = o.path === undefined ? "." : validate.path("path", o.path);
    const onCorrupt = o.onCorrupt === undefined ? "throw" : validate.oneOf("onCorrupt", o.onCorrupt, ["throw", "skip"] as const);
    const storeOptions = {
      fsync: o.fsync === undefined ? false : validate.boolean("fsync", o.fsync),
      lock: {
        staleMs: o.lockStaleMs === undefined ? DEFAULT_STORE_OPTIONS.lock.staleMs : validate.integerIn("lockStaleMs", o.lockStaleMs, 2000, 3_600_000),
        timeoutMs: o.lockTimeoutMs === undefined ? DEFAULT_STORE_OPTIONS.lock.timeoutMs : validate.integerIn("lockTimeoutMs", o.lockTimeoutMs, 0, 86_400_000),
      },
    };
    this.store = o[STORE] ?? openStore(this.path, storeOptions);
    const past = o[PAST];
    if (past) {
      this.store = readOnly(this.store);
      for (const call of WRITE_CALLS) Object.defineProperty(this, call, { value: () => Promise.reject(new ReadOnlyView(call)) });
    }
    this.ctx = new Context(this.store, onCorrupt, past);
    this.artifacts = new ArtifactsApi(this.ctx);
    this.experiments = new ExperimentsApi(this.ctx, this.artifacts);
    this.runs = new RunsApi(this.ctx, this.experiments, this.artifacts);
    this.registry = new RegistryApi(this.ctx, this.artifacts);
    this.history = new HistoryApi(this.ctx);
    this.search = new SearchApi(this.ctx);
  }

  // ---------------------------------------------------------------- experiments

  getOrCreateExperiment(name: string): Promise<string> {
    return this.experiments.getOrCreate(name);
  }
  getExperiment(experimentId: string): Promise<Experiment | null> {
    return this.experiments.get(experimentId);
  }
  listExperiments(): Promise<Experiment[]> {
    return this.experiments.list();
  }
  getExperimentSummaries(options?: { sortBy?: string; ascending?: boolean }): Promise<ExperimentSummary[]> {
    return this.experiments.summaries(options);
  }
  getExperimentRuns(experimentId: string, options?: { sortBy?: string; ascending?: boolean }): Promise<RunInfo[]> {
    return this.experiments.runs(experimentId, options);
  }
  deleteExperiment(nameOrId: string): Promise<void> {
    return this.experiments.delete(nameOrId);
  }

  // ---------------------------------------------------------------- runs

  startRun(options?: StartRunOptions): Promise<ActiveRun>;
  startRun<T>(options: StartRunOptions | undefined, fn: RunFn<T>): Promise<T>;
  startRun<T>(options?: StartRunOptions, fn?: RunFn<T>): Promise<ActiveRun | T> {
    return this.runs.start(options, fn);
  }

  /** Makes an existing run (perhaps created by another process) the active run again. */
  resumeRun(runId: string): Promise<ActiveRun>;
  resumeRun<T>(runId: string, fn: RunFn<T>): Promise<T>;
  resumeRun<T>(runId: string, fn?: RunFn<T>): Promise<ActiveRun | T> {
    return this.runs.resume(runId, fn);
  }

  /**
   * The active run; in a sweep trial (RUNELOG_RUN_ID set) with none active yet, resumes the run its
   * runner created and makes it active for this process. Throws NoActiveRun otherwise.
   */
  async currentRun(): Promise<ActiveRun> {
    const active = this.runs.active();
    if (active) return active;
    const handedOver = process.env.RUNELOG_RUN_ID;
    if (!handedOver) throw new NoActiveRun("currentRun");
    return this.resumeRun(handedOver);
  }

  /** The run that tracker-level logging calls use here, or null. */
  activeRun(): ActiveRun | null {
    return this.runs.active();
  }

  logParam(key: string, value: unknown): Promise<void> {
    return settled(() => this.runs.requireActive("logParam").logParam(key, value));
  }
  logParams(params: Record<string, unknown>): Promise<void> {
    return settled(() => this.runs.requireActive("logParams").logParams(params));
  }
  logMetric(key: string, value: number, options?: MetricOptions): Promise<void> {
    return settled(() => this.runs.requireActive("logMetric").logMetric(key, value, options));
  }
  logMetrics(metrics: Record<string, number>, options?: MetricOptions): Promise<void> {
    return settled(() => this.runs.requireActive("logMetrics").logMetrics(metrics, options));
  }
  setTags(tags: Record<string, string>): Promise<void> {
    return settled(() => this.runs.requireActive("setTags").setTags(tags));
  }
  logArtifact(localPath: string, options?: { name?: string }): Promise<void> {
    return settled(() => this.runs.requireActive("logArtifact").logArtifact(localPath, options));
  }
  logModel(model: unknown, name: string, options?: LogModelOptions): Promise<void> {
    return settled(() => this.runs.requireActive("logModel").logModel(model, name, options));
  }

  getRunTags(runId?: string): Promise<Record<string, string>> {
    return this.runs.tags(runId);
  }
  getRun(runId: string): Promise<Run | null> {
    return this.runs.get(runId);
  }
  getRunDetails(runId: string): Promise<RunDetails | null> {
    return this.runs.details(runId);
  }
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return this.runs.metricHistory(runId, key);
  }
  getArtifactAbspath(runId: string, artifactName: string): Promise<string> {
    return this.artifacts.localPath(runId, artifactName);
  }
  deleteRun(runId: string): Promise<void> {
    return this.runs.delete(runId);
  }
  /** One row per run of an experiment, as an Arquero table; `filter` and `orderBy` as in searchRuns. */
  loadResults(experimentNameOrId: string, options?: LoadResultsOptions): Promise<ColumnTable> {
    return this.search.results(experimentNameOrId, options);
  }
  /** Runs of some (default: every live) experiments that match `filter`, in `orderBy` order (docs/search.md). */
  searchRuns(options?: SearchRunsOptions): Promise<SearchedRun[]> {
    return this.search.runs(options);
  }

  // ---------------------------------------------------------------- model registry

  registerModel(runId: string, artifactName: string, modelName: string, tags?: Record<string, string>): Promise<string> {
    return this.registry.register(runId, artifactName, modelName, tags);
  }
  listRegisteredModels(options?: { ascending?: boolean }): Promise<string[]> {
    return this.registry.list(options);
  }
  getModelVersions(modelName: string, options?: { sortBy?: string; ascending?: boolean }): Promise<ModelVersion[]> {
    return this.registry.versions(modelName, options);
  }
  /** Loads a model a run logged with logModel (or a logged file's bytes), without registering it. */
  loadModel(runId: string, artifactName: string, options?: { serializer?: ModelSerializer }): Promise<unknown> {
    return this.artifacts.loadModel(runId, artifactName, options);
  }
  /** Loads a registered model: `version` is a number, "latest" (the highest) or "@alias". */
  loadRegisteredModel(modelName: string, version: string | number = "latest", options?: { serializer?: ModelSerializer }): Promise<unknown> {
    return this.artifacts.loadRegisteredModel(modelName, version, options);
  }
  addModelTags(modelName: string, version: string, tags: Record<string, string>): Promise<Record<string, string>> {
    return this.registry.addTags(modelName, version, tags);
  }
  removeModelTags(modelName: string, version: string, keys: string[]): Promise<Record<string, string>> {
    return this.registry.removeTags(modelName, version, keys);
  }
  getModelTags(modelName: string, version: string): Promise<Record<string, string>> {
    return this.registry.tags(modelName, version);
  }
  /** Points `alias` at one version (moving it if it pointed elsewhere); load it with version "@alias". */
  setModelAlias(modelName: string, alias: string, version: string): Promise<void> {
    return this.registry.setAlias(modelName, alias, version);
  }
  deleteModelAlias(modelName: string, alias: string): Promise<void> {
    return this.registry.deleteAlias(modelName, alias);
  }

  // ---------------------------------------------------------------- history and audit

  /** Stored events in journal order, exactly as stored, streamed (a journal is never loaded whole). */
  events(query?: EventsQuery): AsyncIterable<JournalEvent> {
    return this.history.events(query);
  }

  /**
   * A read-only view of the store as it was at `when` (a Date, epoch ms, an ISO string, or an event
   * id: then exactly after that event). Every read answers as it would have then; writes throw.
   */
  asOf(when: Instant): RuneLog {
    const instant = parseInstant("when", when);
    return new RuneLog({ ...this.options, path: this.path, [STORE]: this.store, [PAST]: instant } as InternalOptions);
  }

  /** Checks every line of every journal and says exactly where anything is wrong. */
  verify(): Promise<VerifyReport> {
    return this.history.verify();
  }

  /** Ends the store's connections (a folder store has none). The tracker is unusable after. */
  close(): Promise<void> {
    return this.store.close();
  }
}

/** A tracker on a store someone else opened (the contract specs' memory store, a migration's target). */
export function trackerOn(store: Store, options: Omit<RuneLogOptions, "path"> = {}): RuneLog {
  return new RuneLog({ ...options, path: ".", [STORE]: store } as InternalOptions);
}

/** The store a tracker was handed (for the CLI and tools inside this package; not exported by index.ts). */
export function storeOf(tracker: RuneLog): Store {
  return tracker["store"];
}

export { experimentStream } from "./api/context.js";

const trackers = new Map<string, RuneLog>();

/** A tracker for the store under `path` (one per path in a process). */
export function getTracker(path = "."): RuneLog {
  validate.path("path", path);
  let tracker = trackers.get(path);
  if (!tracker) trackers.set(path, (tracker = new RuneLog(path)));
  return tracker;
}
