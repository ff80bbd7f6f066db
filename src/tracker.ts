/**
 * RuneLog: the public API. It validates input, turns calls into events for the journals, and answers
 * reads from projections. It does no file I/O of its own: journals, the store and projectors do.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { ColumnTable } from "arquero";
import {
  catalogProjection, findLiveExperiment, liveExperiments, modelVersions, registryProjection,
  runsProjection, sortBy, sortSummaries, summarize, SUMMARY_SORT_KEYS, VERSION_SORT_KEYS,
  type CatalogState, type ExperimentRecord, type ExperimentRunsState, type ExperimentSummary, type MetricPoint,
  type ModelRecord, type ModelVersionView, type Projection, type RegistryState, type RunState, type VersionRecord,
} from "../projections/index.js";
import { ArtifactNotFound, ExperimentNotFound, InvalidInput, ModelNotFound, ModelVersionNotFound, NoActiveRun, NoVersionsFound, ReadOnlyView, RunNotFound } from "./errors.js";
import { draft, type EnvMeta, type GitMeta, type JournalEvent, newId, type RunStatus } from "./events.js";
import { type EventFilter, followEvents, type Horizon, horizonOf, includes, type Instant, mergedEvents, parseInstant, type VerifyReport, verifyStore } from "./audit.js";
import { DEFAULT_LOCK_OPTIONS, FileJournalBackend, isConflict, type JournalBackend, type Position, type StoredEvent, type StreamName } from "./journal/index.js";
import { entryScript, envMeta, gitMeta, HOST, isProcessAlive } from "./meta.js";
import { checkSerializer, deserializeModel, type ModelSerializer } from "./models.js";
import { Projector } from "./projector.js";
import { ActiveRun, type LogModelOptions, type MetricOptions, type RunSink, settled } from "./run.js";
import { linkBlob, readBlob, release, storeBytesAt, storeFileAt } from "./store/artifacts.js";
import { StorePaths } from "./store/paths.js";
import { FileSnapshotStore, type SnapshotStore } from "./store/snapshots.js";
import * as validate from "./validate.js";
import * as search from "./api/search.js";
import type { LoadResultsOptions, SearchedRun, SearchRunsOptions } from "./api/search.js";

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

const TRACKER_OPTIONS = ["path", "fsync", "lockStaleMs", "lockTimeoutMs", "onCorrupt"];
const START_RUN_OPTIONS = ["experimentName", "experimentId", "logGitMeta", "logEnv", "logCode", "tags"];
const RUN_SORT_KEYS = ["runId", "status", "startTime", "endTime"] as const;
const DEFAULT_EXPERIMENT = { experimentId: "0", name: "Default" } as const;

type RunFn<T> = (run: ActiveRun) => T | Promise<T>;

/** Marks the options of a read-only view of the past (asOf); not part of the public options. */
const PAST = Symbol("runelog.asOf");
type InternalOptions = RuneLogOptions & { [PAST]?: ReturnType<typeof parseInstant> };

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

export class RuneLog {
  /** The folder that holds `.runelog/`. */
  readonly path: string;
  /** The absolute path of the store, `<path>/.runelog`. */
  get storeDir(): string {
    return this.paths.root;
  }
  private readonly paths: StorePaths;
  private readonly options: RuneLogOptions;
  private readonly backend: JournalBackend;
  private readonly snapshots: SnapshotStore;
  private readonly onCorrupt: "throw" | "skip";
  /** Set on an asOf() view: the instant asked for, and (once resolved) the cut it makes. */
  private readonly past: ReturnType<typeof parseInstant> | undefined;
  private horizon: Horizon | undefined;
  private readonly catalog: Projector<CatalogState>;
  private readonly registry: Projector<RegistryState>;
  private readonly experiments = new Map<string, Projector<ExperimentRunsState>>();
  private readonly runHomes = new Map<string, string>();
  private readonly context = new AsyncLocalStorage<ActiveRun>();
  private readonly started: ActiveRun[] = [];
  private readonly sink: RunSink;
  private ready: Promise<void> | undefined;

  constructor(pathOrOptions: string | RuneLogOptions = {}) {
    const o: InternalOptions = typeof pathOrOptions === "string" ? { path: pathOrOptions } : validate.optionsObject("options", pathOrOptions);
    for (const k of Object.keys(o)) if (!TRACKER_OPTIONS.includes(k)) throw new InvalidInput(`options.${k}`, `is not an option of RuneLog (${TRACKER_OPTIONS.join(", ")})`);
    this.options = { ...o };
    this.past = o[PAST];
    this.path = o.path === undefined ? "." : validate.path("path", o.path);
    this.onCorrupt = o.onCorrupt === undefined ? "throw" : validate.oneOf("onCorrupt", o.onCorrupt, ["throw", "skip"] as const);
    const journalOptions = {
      fsync: o.fsync === undefined ? false : validate.boolean("fsync", o.fsync),
      lock: {
        staleMs: o.lockStaleMs === undefined ? DEFAULT_LOCK_OPTIONS.staleMs : validate.integerIn("lockStaleMs", o.lockStaleMs, 2000, 3_600_000),
        timeoutMs: o.lockTimeoutMs === undefined ? DEFAULT_LOCK_OPTIONS.timeoutMs : validate.integerIn("lockTimeoutMs", o.lockTimeoutMs, 0, 86_400_000),
      },
    };
    this.paths = new StorePaths(this.path);
    this.backend = new FileJournalBackend(this.paths, journalOptions);
    this.snapshots = new FileSnapshotStore(this.paths);
    this.catalog = this.projector("catalog", catalogProjection);
    this.registry = this.projector("registry", registryProjection);
    this.sink = {
      append: (experimentId, type, data) => this.experiment(experimentId).journal.append([draft(type, data)]),
      storeArtifact: (runId, name, source) => {
        const at = this.paths.runArtifact(runId, name);
        return "file" in source ? storeFileAt(this.paths, source.file, at) : storeBytesAt(this.paths, source.bytes, at);
      },
      ended: (run) => {
        const i = this.started.indexOf(run);
        if (i >= 0) this.started.splice(i, 1);
      },
    };
  }

  // ---------------------------------------------------------------- experiments

  async getOrCreateExperiment(name: string): Promise<string> {
    this.writable("getOrCreateExperiment");
    validate.name("name", name);
    await this.init();
    for (;;) {
      const { state, position } = await this.catalog.current();
      const existing = findLiveExperiment(state, name, "name");
      if (existing) return existing.experimentId;
      const experimentId = String(state.lastId + 1);
      try {
        await this.catalog.journal.append([draft("ExperimentCreated", { experimentId, name })], position.seq);
        return experimentId;
      } catch (err) {
        if (!isConflict(err)) throw err; // another process wrote first: look again
      }
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment | null> {
    validate.identifier("experimentId", experimentId);
    const found = findLiveExperiment(await this.catalogState(), experimentId, "id");
    return found ? experimentView(found) : null;
  }

  async listExperiments(): Promise<Experiment[]> {
    return liveExperiments(await this.catalogState()).map(experimentView);
  }

  async getExperimentSummaries(options?: { sortBy?: string; ascending?: boolean }): Promise<ExperimentSummary[]> {
    const o = validate.optionsObject("options", options);
    const key = o.sortBy === undefined ? undefined : validate.oneOf("sortBy", o.sortBy, SUMMARY_SORT_KEYS);
    const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
    const experiments = liveExperiments(await this.catalogState());
    const states = new Map<string, ExperimentRunsState>();
    for (const e of experiments) states.set(e.experimentId, await this.runsOf(e.experimentId));
    return sortSummaries(summarize(experiments, (id) => states.get(id)!), key, ascending);
  }

  async getExperimentRuns(experimentId: string, options?: { sortBy?: string; ascending?: boolean }): Promise<RunInfo[]> {
    validate.identifier("experimentId", experimentId);
    const o = validate.optionsObject("options", options);
    const key = o.sortBy === undefined ? "startTime" : validate.oneOf("sortBy", o.sortBy, RUN_SORT_KEYS);
    const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
    const exp = await this.requireExperiment(experimentId, "id");
    const runs = Object.values((await this.runsOf(exp.experimentId)).runs).map((r) => this.runInfo(r));
    return sortBy(runs, (r) => r[key], ascending);
  }

  async deleteExperiment(nameOrId: string): Promise<void> {
    this.writable("deleteExperiment");
    validate.identifier("nameOrId", nameOrId);
    const exp = await this.requireExperiment(nameOrId, "either");
    if (exp.experimentId === DEFAULT_EXPERIMENT.experimentId) throw new InvalidInput("nameOrId", "the Default experiment (id 0) always exists and cannot be deleted");
    const runs = Object.values((await this.runsOf(exp.experimentId)).runs);
    await this.catalog.journal.append([draft("ExperimentDeleted", { experimentId: exp.experimentId })]);
    await release(this.paths, runs.flatMap((r) => this.artifactLinks(r)));
  }

  // ---------------------------------------------------------------- runs

  startRun(options?: StartRunOptions): Promise<ActiveRun>;
  startRun<T>(options: StartRunOptions | undefined, fn: RunFn<T>): Promise<T>;
  async startRun<T>(options?: StartRunOptions, fn?: RunFn<T>): Promise<ActiveRun | T> {
    this.writable("startRun");
    const o = validate.optionsObject("options", options);
    for (const k of Object.keys(o)) if (!START_RUN_OPTIONS.includes(k)) throw new InvalidInput(`options.${k}`, `is not an option of startRun (${START_RUN_OPTIONS.join(", ")})`);
    if (fn !== undefined && typeof fn !== "function") throw new InvalidInput("fn", "must be a function");
    const experimentName = o.experimentName === undefined ? undefined : validate.name("experimentName", o.experimentName);
    const experimentId = o.experimentId === undefined ? DEFAULT_EXPERIMENT.experimentId : validate.identifier("experimentId", o.experimentId);
    const logGitMeta = o.logGitMeta === undefined ? true : validate.boolean("logGitMeta", o.logGitMeta);
    const logEnv = o.logEnv === undefined ? false : validate.boolean("logEnv", o.logEnv);
    const logCode = o.logCode === undefined ? true : validate.boolean("logCode", o.logCode);
    const tags = o.tags === undefined ? {} : validate.stringRecord("tags", o.tags);

    // A sweep trial: its runner created the run and handed it over in the environment.
    const handedOver = process.env.RUNELOG_RUN_ID;
    if (handedOver && !this.activeRun()) return this.resumeRun(handedOver, fn as RunFn<T>);

    const expId = experimentName !== undefined ? await this.getOrCreateExperiment(experimentName) : (await this.requireExperiment(experimentId, "id")).experimentId;
    const [git, env] = await Promise.all([logGitMeta ? gitMeta() : null, logEnv ? envMeta() : null]);
    const runId = newId();
    const parentRunId = this.activeRun()?.runId ?? null;
    await this.sink.append(expId, "RunStarted", { runId, experimentId: expId, parentRunId, pid: process.pid, host: HOST, tags, git, env });
    this.runHomes.set(runId, expId);
    const run = new ActiveRun(this.sink, runId, expId);
    if (logCode) {
      const script = await entryScript();
      if (script) await run.logArtifact(script, { name: validName(basename(script)) ?? "entry-script" });
    }
    return this.enter(run, fn);
  }

  /** Makes an existing run (perhaps created by another process) the active run again. */
  resumeRun(runId: string): Promise<ActiveRun>;
  resumeRun<T>(runId: string, fn: RunFn<T>): Promise<T>;
  async resumeRun<T>(runId: string, fn?: RunFn<T>): Promise<ActiveRun | T> {
    this.writable("resumeRun");
    validate.identifier("runId", runId);
    if (fn !== undefined && typeof fn !== "function") throw new InvalidInput("fn", "must be a function");
    const run = await this.requireRun(runId);
    await this.sink.append(run.experimentId, "RunResumed", { runId, pid: process.pid, host: HOST });
    return this.enter(new ActiveRun(this.sink, runId, run.experimentId), fn);
  }

  /**
   * The active run; in a sweep trial (RUNELOG_RUN_ID set) with none active yet, resumes the run its
   * runner created and makes it active for this process. Throws NoActiveRun otherwise.
   */
  async currentRun(): Promise<ActiveRun> {
    const active = this.activeRun();
    if (active) return active;
    const handedOver = process.env.RUNELOG_RUN_ID;
    if (!handedOver) throw new NoActiveRun("currentRun");
    return this.resumeRun(handedOver);
  }

  /** The run that tracker-level logging calls use here, or null. */
  activeRun(): ActiveRun | null {
    return this.context.getStore() ?? this.started.at(-1) ?? null;
  }

  logParam(key: string, value: unknown): Promise<void> {
    return settled(() => this.requireActive("logParam").logParam(key, value));
  }
  logParams(params: Record<string, unknown>): Promise<void> {
    return settled(() => this.requireActive("logParams").logParams(params));
  }
  logMetric(key: string, value: number, options?: MetricOptions): Promise<void> {
    return settled(() => this.requireActive("logMetric").logMetric(key, value, options));
  }
  logMetrics(metrics: Record<string, number>, options?: MetricOptions): Promise<void> {
    return settled(() => this.requireActive("logMetrics").logMetrics(metrics, options));
  }
  setTags(tags: Record<string, string>): Promise<void> {
    return settled(() => this.requireActive("setTags").setTags(tags));
  }
  logArtifact(localPath: string, options?: { name?: string }): Promise<void> {
    return settled(() => this.requireActive("logArtifact").logArtifact(localPath, options));
  }
  logModel(model: unknown, name: string, options?: LogModelOptions): Promise<void> {
    return settled(() => this.requireActive("logModel").logModel(model, name, options));
  }

  async getRunTags(runId?: string): Promise<Record<string, string>> {
    const id = runId === undefined ? this.requireActive("getRunTags").runId : validate.identifier("runId", runId);
    return { ...(await this.requireRun(id)).tags };
  }

  // ---------------------------------------------------------------- reading runs

  async getRun(runId: string): Promise<Run | null> {
    validate.identifier("runId", runId);
    const run = await this.findRun(runId);
    return run ? this.runView(run) : null;
  }

  async getRunDetails(runId: string): Promise<RunDetails | null> {
    validate.identifier("runId", runId);
    const run = await this.findRun(runId);
    if (!run) return null;
    const metricHistory = run.metricLog.histories(run.metricCount);
    return {
      ...this.runView(run),
      artifacts: Object.keys(run.artifacts),
      metricHistory,
      parentRunId: run.parentRunId,
      git: run.git && { ...run.git },
      env: run.env && structuredClone(run.env),
    };
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    validate.identifier("runId", runId);
    validate.key("key", key);
    const run = await this.requireRun(runId);
    return run.metricLog.history(key, run.metricCount);
  }

  async getArtifactAbspath(runId: string, artifactName: string): Promise<string> {
    validate.identifier("runId", runId);
    validate.name("artifactName", artifactName);
    const run = await this.requireRun(runId);
    const artifact = run.artifacts[artifactName];
    if (!artifact) throw new ArtifactNotFound(artifactName, `run ${runId} has no artifact of that name`);
    const path = this.paths.runArtifact(runId, artifactName);
    const [linked, blob] = await Promise.all([stat(path).catch(() => null), stat(this.paths.blob(artifact.sha256)).catch(() => null)]);
    if (!blob) throw new ArtifactNotFound(artifactName, "its stored bytes are gone");
    if (linked && linked.ino === blob.ino) return path;
    // A view of the past writes nothing, so it cannot restore a link released since.
    if (this.past) throw new ArtifactNotFound(artifactName, "no longer linked in the live store");
    // The link may be missing (a store copied without links) or name a newer artifact of the same name.
    await linkBlob(this.paths, artifact.sha256, path);
    return path;
  }

  async deleteRun(runId: string): Promise<void> {
    this.writable("deleteRun");
    validate.identifier("runId", runId);
    const run = await this.requireRun(runId);
    await this.sink.append(run.experimentId, "RunDeleted", { runId });
    await release(this.paths, this.artifactLinks(run));
  }

  /** One row per run of an experiment, as an Arquero table; `filter` and `orderBy` as in searchRuns. */
  loadResults(experimentNameOrId: string, options?: LoadResultsOptions): Promise<ColumnTable> {
    return search.loadResults(this.searchSource(), experimentNameOrId, options);
  }

  /** Runs of some (default: every live) experiments that match `filter`, in `orderBy` order (docs/search.md). */
  searchRuns(options?: SearchRunsOptions): Promise<SearchedRun[]> {
    return search.searchRuns(this.searchSource(), options);
  }

  // ---------------------------------------------------------------- model registry

  async registerModel(runId: string, artifactName: string, modelName: string, tags?: Record<string, string>): Promise<string> {
    this.writable("registerModel");
    validate.identifier("runId", runId);
    validate.name("artifactName", artifactName);
    validate.name("modelName", modelName);
    const versionTags = tags === undefined ? {} : validate.stringRecord("tags", tags);
    const run = await this.requireRun(runId);
    const artifact = run.artifacts[artifactName];
    if (!artifact) throw new ArtifactNotFound(artifactName, `run ${runId} has no artifact of that name`);
    // The registry holds the blob before any event names it, so deleting the run cannot take it away.
    if (!(await linkBlob(this.paths, artifact.sha256, this.paths.registryHold(artifact.sha256)))) {
      throw new ArtifactNotFound(artifactName, "its stored bytes are gone");
    }
    for (;;) {
      const { state, position } = await this.registry.current();
      const version = String((state.models[modelName]?.lastVersion ?? 0) + 1);
      const data = { modelName, version, sourceRunId: runId, experimentId: run.experimentId, artifactName, ...artifact, tags: versionTags };
      try {
        await this.registry.journal.append([draft("ModelVersionRegistered", data)], position.seq);
        return version;
      } catch (err) {
        if (!isConflict(err)) throw err; // another process took this version number: take the next
      }
    }
  }

  async listRegisteredModels(options?: { ascending?: boolean }): Promise<string[]> {
    const o = validate.optionsObject("options", options);
    const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
    const names = Object.keys((await this.registryState()).models);
    return sortBy(names, (n) => n, ascending);
  }

  async getModelVersions(modelName: string, options?: { sortBy?: string; ascending?: boolean }): Promise<ModelVersion[]> {
    validate.name("modelName", modelName);
    const o = validate.optionsObject("options", options);
    const key = o.sortBy === undefined ? "version" : validate.oneOf("sortBy", o.sortBy, VERSION_SORT_KEYS);
    const ascending = o.ascending === undefined ? false : validate.boolean("ascending", o.ascending);
    return modelVersions((await this.registryState()).models[modelName], key, ascending);
  }

  /** Loads a model a run logged with logModel (or a logged file's bytes), without registering it. */
  async loadModel(runId: string, artifactName: string, options?: { serializer?: ModelSerializer }): Promise<unknown> {
    validate.identifier("runId", runId);
    validate.name("artifactName", artifactName);
    const serializer = checkSerializer(validate.optionsObject("options", options).serializer);
    const artifact = (await this.requireRun(runId)).artifacts[artifactName];
    if (!artifact) throw new ArtifactNotFound(artifactName, `run ${runId} has no artifact of that name`);
    return deserializeModel(await readBlob(this.paths, artifact.sha256), artifact.model, serializer);
  }

  /** Loads a registered model: `version` is a number, "latest" (the highest) or "@alias". */
  async loadRegisteredModel(modelName: string, version: string | number = "latest", options?: { serializer?: ModelSerializer }): Promise<unknown> {
    validate.name("modelName", modelName);
    const o = validate.optionsObject("options", options);
    const serializer = checkSerializer(o.serializer);
    const wanted = typeof version === "number" ? String(version) : validate.key("version", version);
    const model = (await this.registryState()).models[modelName];
    if (!model) throw new ModelNotFound(modelName);
    if (Object.keys(model.versions).length === 0) throw new NoVersionsFound(modelName);
    const record = resolveVersion(model, wanted);
    return deserializeModel(await readBlob(this.paths, record.sha256), record.model, serializer);
  }

  async addModelTags(modelName: string, version: string, tags: Record<string, string>): Promise<Record<string, string>> {
    this.writable("addModelTags");
    validate.name("modelName", modelName);
    validate.key("version", version);
    validate.stringRecord("tags", tags);
    await this.requireVersion(modelName, version);
    await this.registry.journal.append([draft("ModelTagsSet", { modelName, version, tags })]);
    return this.getModelTags(modelName, version);
  }

  async removeModelTags(modelName: string, version: string, keys: string[]): Promise<Record<string, string>> {
    this.writable("removeModelTags");
    validate.name("modelName", modelName);
    validate.key("version", version);
    validate.stringList("keys", keys);
    await this.requireVersion(modelName, version);
    await this.registry.journal.append([draft("ModelTagsRemoved", { modelName, version, keys })]);
    return this.getModelTags(modelName, version);
  }

  async getModelTags(modelName: string, version: string): Promise<Record<string, string>> {
    validate.name("modelName", modelName);
    validate.key("version", version);
    return { ...(await this.requireVersion(modelName, version)).tags };
  }

  /** Points `alias` at one version (moving it if it pointed elsewhere); load it with version "@alias". */
  async setModelAlias(modelName: string, alias: string, version: string): Promise<void> {
    this.writable("setModelAlias");
    validate.name("modelName", modelName);
    checkAlias(alias);
    validate.key("version", version);
    await this.requireVersion(modelName, version);
    await this.registry.journal.append([draft("ModelAliasSet", { modelName, alias, version })]);
  }

  async deleteModelAlias(modelName: string, alias: string): Promise<void> {
    this.writable("deleteModelAlias");
    validate.name("modelName", modelName);
    checkAlias(alias);
    const model = (await this.registryState()).models[modelName];
    if (!model) throw new ModelNotFound(modelName);
    if (model.aliases[alias] === undefined) throw new ModelVersionNotFound(modelName, `@${alias}`);
    await this.registry.journal.append([draft("ModelAliasDeleted", { modelName, alias })]);
  }

  // ---------------------------------------------------------------- history and audit

  /** Stored events in journal order, exactly as stored, streamed (a journal is never loaded whole). */
  events(query?: EventsQuery): AsyncIterable<JournalEvent> {
    const q = validate.optionsObject("query", query);
    const experiment = q.experiment === undefined ? undefined : validate.identifier("experiment", q.experiment);
    const runId = q.runId === undefined ? undefined : validate.identifier("runId", q.runId);
    const since = q.since === undefined ? undefined : parseInstant("since", q.since);
    const until = q.until === undefined ? undefined : parseInstant("until", q.until);
    const follow = q.follow === undefined ? false : validate.boolean("follow", q.follow);
    if (q.signal !== undefined && !(q.signal instanceof AbortSignal)) throw new InvalidInput("signal", "must be an AbortSignal");
    if (q.onCaughtUp !== undefined && typeof q.onCaughtUp !== "function") throw new InvalidInput("onCaughtUp", "must be a function");
    const { signal, onCaughtUp } = q as EventsQuery;
    if (follow && (until !== undefined || this.past)) throw new InvalidInput("follow", "cannot follow new events up to a fixed moment (until, or a view of the past)");
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        await self.init();
        const filter: EventFilter = {
          runId,
          since: since && (await horizonOf(self.backend, since)),
          until: until && (await horizonOf(self.backend, until)),
        };
        let streams: StreamName[];
        let everyStream = false;
        if (experiment !== undefined) {
          // An audit wants deleted experiments too: a live one by id or name first, then any by id.
          const catalog = await self.catalogState();
          const exp = findLiveExperiment(catalog, experiment, "either") ?? catalog.experiments[experiment];
          if (!exp) throw new ExperimentNotFound(experiment);
          streams = [`experiments/${exp.experimentId}`];
        } else if (runId !== undefined) {
          const run = await self.findRun(runId);
          // A deleted run (or one in a deleted experiment) is in some experiment journal still.
          streams = run ? [`experiments/${run.experimentId}`, "registry"] : (await self.backend.list()).filter((s) => s !== "catalog");
        } else {
          streams = await self.backend.list();
          everyStream = true;
        }
        const ends = new Map<StreamName, Position>();
        yield* mergedEvents(self.backend, streams, filter, self.onCorrupt, self.horizon, ends);
        if (!follow) return;
        onCaughtUp?.();
        const streamsNow = everyStream ? () => self.backend.list() : async () => streams;
        yield* followEvents(self.backend, streamsNow, ends, filter, self.onCorrupt, signal);
      },
    };
  }

  /**
   * A read-only view of the store as it was at `when` (a Date, epoch ms, an ISO string, or an event
   * id: then exactly after that event). Every read answers as it would have then; writes throw.
   */
  asOf(when: Instant): RuneLog {
    const instant = parseInstant("when", when);
    return new RuneLog({ ...this.options, path: this.path, [PAST]: instant } as InternalOptions);
  }

  /** Checks every line of every journal and says exactly where anything is wrong. */
  async verify(): Promise<VerifyReport> {
    return verifyStore(this.backend);
  }

  // ---------------------------------------------------------------- internals

  private projector<S>(stream: StreamName, projection: Projection<S>): Projector<S> {
    return new Projector(this.backend.open(stream), projection, {
      onCorrupt: this.onCorrupt,
      // A view of the past folds only what its horizon includes (resolved by init() before any read).
      keep: this.past ? (e: StoredEvent) => includes(this.horizon!, stream, e) : undefined,
      snapshots: { store: this.snapshots, stream },
    });
  }

  private experiment(experimentId: string): Projector<ExperimentRunsState> {
    let projector = this.experiments.get(experimentId);
    if (!projector) {
      this.paths.experiment(experimentId); // checks the id is one
      projector = this.projector(`experiments/${experimentId}`, runsProjection);
      this.experiments.set(experimentId, projector);
    }
    return projector;
  }

  private async runsOf(experimentId: string): Promise<ExperimentRunsState> {
    return (await this.experiment(experimentId).current()).state;
  }

  /** The experiment "0" named "Default" is the catalogue's first event, written by whoever opens the store first. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      if (this.past) {
        this.horizon = await horizonOf(this.backend, this.past);
        return; // a view of the past writes nothing
      }
      const { position } = await this.catalog.current();
      if (position.seq > 0) return;
      const data = { experimentId: DEFAULT_EXPERIMENT.experimentId, name: DEFAULT_EXPERIMENT.name };
      await this.catalog.journal.append([draft("ExperimentCreated", data)], 0).catch((err) => {
        if (!isConflict(err)) throw err;
      });
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async catalogState(): Promise<CatalogState> {
    await this.init();
    return (await this.catalog.current()).state;
  }

  private async registryState(): Promise<RegistryState> {
    await this.init();
    return (await this.registry.current()).state;
  }

  private async requireExperiment(nameOrId: string, by: "id" | "either"): Promise<ExperimentRecord> {
    const found = findLiveExperiment(await this.catalogState(), nameOrId, by);
    if (!found) throw new ExperimentNotFound(nameOrId);
    return found;
  }

  private async findRun(runId: string): Promise<RunState | null> {
    const catalog = await this.catalogState();
    const home = this.runHomes.get(runId);
    if (home !== undefined) {
      return findLiveExperiment(catalog, home, "id") ? ((await this.runsOf(home)).runs[runId] ?? null) : null;
    }
    for (const exp of liveExperiments(catalog)) {
      const run = (await this.runsOf(exp.experimentId)).runs[runId];
      if (run) {
        this.runHomes.set(runId, exp.experimentId);
        return run;
      }
    }
    return null;
  }

  private async requireRun(runId: string): Promise<RunState> {
    const run = await this.findRun(runId);
    if (!run) throw new RunNotFound(runId);
    return run;
  }

  private writable(call: string): void {
    if (this.past) throw new ReadOnlyView(call);
  }

  private requireActive(call: string): ActiveRun {
    this.writable(call);
    const run = this.activeRun();
    if (!run) throw new NoActiveRun(call);
    return run;
  }

  private async requireVersion(modelName: string, version: string): Promise<VersionRecord> {
    const record = (await this.registryState()).models[modelName]?.versions[version];
    if (!record) throw new ModelVersionNotFound(modelName, version);
    return record;
  }

  private async enter<T>(run: ActiveRun, fn: RunFn<T> | undefined): Promise<ActiveRun | T> {
    if (!fn) {
      this.started.push(run);
      return run;
    }
    return this.context.run(run, async () => {
      let result: T;
      try {
        result = await fn(run);
      } catch (err) {
        if (!run.endStatus) await run.end("FAILED").catch(() => {});
        throw err;
      }
      if (!run.endStatus) await run.end("FINISHED");
      return result;
    });
  }

  /** RUNNING in the journal, but its process on this host is gone: it was killed. */
  private status(run: RunState): RunStatus {
    if (this.past) return run.status; // as it stood then
    return run.status === "RUNNING" && run.host === HOST && !isProcessAlive(run.pid) ? "KILLED" : run.status;
  }

  private runInfo(run: RunState): RunInfo {
    return { runId: run.runId, experimentId: run.experimentId, status: this.status(run), startTime: run.startTime, endTime: run.endTime };
  }

  private runView(run: RunState): Run {
    return { ...this.runInfo(run), params: copyValues(run.params), metrics: run.metricLog.latestValues(run.metricCount), tags: { ...run.tags } };
  }

  private searchSource(): search.SearchSource {
    return {
      liveExperiments: async () => liveExperiments(await this.catalogState()),
      experiment: (nameOrId) => this.requireExperiment(nameOrId, "either"),
      runs: (experimentId) => this.runsOf(experimentId),
      status: (run) => this.status(run),
      view: (run) => this.runView(run),
    };
  }

  private artifactLinks(run: RunState): Array<{ path: string; sha256: string }> {
    return Object.entries(run.artifacts).map(([name, a]) => ({ path: this.paths.runArtifact(run.runId, name), sha256: a.sha256 }));
  }
}

const trackers = new Map<string, RuneLog>();

/** A tracker for the store under `path` (one per path in a process). */
export function getTracker(path = "."): RuneLog {
  validate.path("path", path);
  let tracker = trackers.get(path);
  if (!tracker) trackers.set(path, (tracker = new RuneLog(path)));
  return tracker;
}

/** A caller's copy of JSON values: objects and arrays are cloned so no caller can change a state. */
function copyValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in values) {
    const v = values[key];
    out[key] = typeof v === "object" && v !== null ? structuredClone(v) : v;
  }
  return out;
}

function experimentView(e: ExperimentRecord): Experiment {
  return { experimentId: e.experimentId, name: e.name, createdAt: e.createdAt };
}

function resolveVersion(model: ModelRecord, wanted: string): VersionRecord {
  let version = wanted;
  if (wanted === "latest") version = String(model.lastVersion);
  else if (wanted.startsWith("@")) version = model.aliases[wanted.slice(1)] ?? "";
  const record = model.versions[version];
  if (!record) throw new ModelVersionNotFound(model.name, wanted);
  return record;
}

function checkAlias(alias: string): void {
  validate.name("alias", alias);
  if (alias.startsWith("@") || alias === "latest" || /^\d+$/.test(alias)) {
    throw new InvalidInput("alias", `${JSON.stringify(alias)} would be read as a version; use a name like "champion"`);
  }
}

function validName(candidate: string): string | null {
  try {
    return validate.name("name", candidate);
  } catch {
    return null;
  }
}

