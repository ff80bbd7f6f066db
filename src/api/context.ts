/**
 * What every api module shares: the store it was handed, one projector per journal, the lookups
 * (experiment, run, model version) and the one write path — `append`, and `decide`, the
 * read → decide → append-if-unchanged → retry loop that every choice depending on what is stored
 * (a new experiment's id, a model's next version, the Default experiment) goes through.
 */
import {
  catalogProjection, findLiveExperiment, liveExperiments, registryProjection, runsProjection,
  type CatalogState, type ExperimentRecord, type ExperimentRunsState, type Projection, type RegistryState, type RunState, type VersionRecord,
} from "../../projections/index.js";
import { type Horizon, horizonOf, includes, type parseInstant } from "../audit.js";
import { ExperimentNotFound, InvalidInput, ModelVersionNotFound, RunNotFound } from "../errors.js";
import { draft, type EventDraft, type EventMap, type EventType, type RunStatus, type StoredEvent } from "../events.js";
import { HOST, isProcessAlive } from "../meta.js";
import { Projector } from "../projector.js";
import { isConflict, type Position, type Store, type StreamName } from "../store/types.js";
import * as validate from "../validate.js";
import type { Run, RunInfo } from "./types.js";

export const DEFAULT_EXPERIMENT = { experimentId: "0", name: "Default" } as const;

/** The instant an asOf() view was asked for. */
export type PastInstant = ReturnType<typeof parseInstant>;

/** An experiment's journal. Its id is digits (checked here, so no name can reach a backend unchecked). */
export function experimentStream(experimentId: string): StreamName {
  if (!/^\d+$/.test(experimentId)) throw new InvalidInput("experimentId", `must be digits, got ${validate.describe(experimentId)}`);
  return `experiments/${experimentId}`;
}

export class Context {
  readonly catalog: Projector<CatalogState>;
  readonly registry: Projector<RegistryState>;
  private readonly experiments = new Map<string, Projector<ExperimentRunsState>>();
  private readonly runHomes = new Map<string, string>();
  /** A view's cut, resolved by init() before any read. */
  private horizon_: Horizon | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    readonly store: Store,
    readonly onCorrupt: "throw" | "skip",
    /** Set on an asOf() view: the instant asked for. A view never writes (its store refuses to). */
    readonly past: PastInstant | undefined,
  ) {
    this.catalog = this.projector("catalog", catalogProjection);
    this.registry = this.projector("registry", registryProjection);
  }

  get horizon(): Horizon | undefined {
    return this.horizon_;
  }

  // ------------------------------------------------------------------ the one write path

  /** Appends one event to an experiment's journal, unconditionally (its meaning does not depend on what is stored). */
  append<T extends EventType>(experimentId: string, type: T, data: EventMap[T]): Promise<void> {
    return this.experiment(experimentId).journal.append([draft(type, data)]);
  }

  /**
   * Reads the projection, lets `choose` decide from it (a result, and the events that make it
   * true, if any), appends those only if the journal is still where it was read, and on a
   * conflict (another process wrote first) reads and decides again.
   */
  async decide<S, T>(projector: Projector<S>, choose: (state: S, position: Position) => { result: T; events?: EventDraft[] }): Promise<T> {
    for (;;) {
      const { state, position } = await projector.current();
      const { result, events } = choose(state, position);
      if (!events || events.length === 0) return result;
      try {
        await projector.journal.append(events, position.seq);
        return result;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
  }

  /** The experiment "0" named "Default" is the catalogue's first event, written by whoever opens the store first. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      if (this.past) {
        this.horizon_ = await horizonOf(this.store.journals, this.past);
        return; // a view of the past writes nothing
      }
      await this.decide(this.catalog, (_state, position) =>
        position.seq > 0 ? { result: undefined } : { result: undefined, events: [draft("ExperimentCreated", { ...DEFAULT_EXPERIMENT })] },
      );
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  // ------------------------------------------------------------------ projections

  projector<S>(stream: StreamName, projection: Projection<S>): Projector<S> {
    return new Projector(this.store.journals.open(stream), projection, {
      onCorrupt: this.onCorrupt,
      // A view of the past folds only what its horizon includes (resolved by init() before any read).
      keep: this.past ? (e: StoredEvent) => includes(this.horizon_!, stream, e) : undefined,
      snapshots: { store: this.store.snapshots, stream },
    });
  }

  experiment(experimentId: string): Projector<ExperimentRunsState> {
    let projector = this.experiments.get(experimentId);
    if (!projector) {
      projector = this.projector(experimentStream(experimentId), runsProjection);
      this.experiments.set(experimentId, projector);
    }
    return projector;
  }

  async runsOf(experimentId: string): Promise<ExperimentRunsState> {
    return (await this.experiment(experimentId).current()).state;
  }

  async catalogState(): Promise<CatalogState> {
    await this.init();
    return (await this.catalog.current()).state;
  }

  async registryState(): Promise<RegistryState> {
    await this.init();
    return (await this.registry.current()).state;
  }

  // ------------------------------------------------------------------ lookups

  async requireExperiment(nameOrId: string, by: "id" | "either"): Promise<ExperimentRecord> {
    const found = findLiveExperiment(await this.catalogState(), nameOrId, by);
    if (!found) throw new ExperimentNotFound(nameOrId);
    return found;
  }

  /** Remembers which experiment a run lives in (a run this process started, or one found before). */
  homeOf(runId: string, experimentId: string): void {
    this.runHomes.set(runId, experimentId);
  }

  async findRun(runId: string): Promise<RunState | null> {
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

  async requireRun(runId: string): Promise<RunState> {
    const run = await this.findRun(runId);
    if (!run) throw new RunNotFound(runId);
    return run;
  }

  async requireVersion(modelName: string, version: string): Promise<VersionRecord> {
    const record = (await this.registryState()).models[modelName]?.versions[version];
    if (!record) throw new ModelVersionNotFound(modelName, version);
    return record;
  }

  // ------------------------------------------------------------------ views

  /** RUNNING in the journal, but its process on this host is gone: it was killed. */
  status(run: RunState): RunStatus {
    if (this.past) return run.status; // as it stood then
    return run.status === "RUNNING" && run.host === HOST && !isProcessAlive(run.pid) ? "KILLED" : run.status;
  }

  runInfo(run: RunState): RunInfo {
    return { runId: run.runId, experimentId: run.experimentId, status: this.status(run), startTime: run.startTime, endTime: run.endTime };
  }

  runView(run: RunState): Run {
    return { ...this.runInfo(run), params: copyValues(run.params), metrics: run.metricLog.latestValues(run.metricCount), tags: { ...run.tags } };
  }
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
