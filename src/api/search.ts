/**
 * searchRuns and loadResults' filter/orderBy: parse and compile once, then run the one predicate over
 * the projections' run states in memory (nothing is copied until a run is in the answer).
 */
import type { ColumnTable } from "arquero";
import { BASE_COLUMNS, resultColumns, resultsTable, type ExperimentRecord, type ExperimentRunsState, type RunState } from "../../projections/index.js";
import { InvalidInput } from "../errors.js";
import type { RunStatus } from "../events.js";
import { compileFilter, orderRuns, parseFilter, parseOrderBy, type OrderKey, type Predicate, type RunAccessors } from "../query/index.js";
import type { Run } from "../tracker.js";
import * as validate from "../validate.js";

/** What a search needs from the tracker: the live experiments, their run states, and how a run is shown. */
export interface SearchSource {
  liveExperiments(): Promise<ExperimentRecord[]>;
  /** A live experiment by name or id; throws ExperimentNotFound. */
  experiment(nameOrId: string): Promise<ExperimentRecord>;
  runs(experimentId: string): Promise<ExperimentRunsState>;
  /** The status a reader sees (a RUNNING run whose process died is KILLED). */
  status(run: RunState): RunStatus;
  /** getRun's answer for this run: a copy the caller may keep. */
  view(run: RunState): Run;
}

export interface SearchRunsOptions {
  /** Experiment names or ids; default: every live experiment. */
  experiments?: string[];
  /** A filter such as `metrics.acc > 0.9 and params.optimizer = 'adam'` (docs/search.md). */
  filter?: string;
  /** Entries such as `metrics.acc DESC`; then startTime ascending, then runId. */
  orderBy?: string | string[];
  /** At most this many runs (the first ones in order). Default: all. */
  maxResults?: number;
}

/** A run as searchRuns returns it: getRun's shape plus its parent run. */
export interface SearchedRun extends Run {
  parentRunId: string | null;
}

export interface LoadResultsOptions {
  filter?: string;
  orderBy?: string | string[];
  /** A column to sort by when orderBy is absent. */
  sortBy?: string;
  ascending?: boolean;
}

const SEARCH_OPTIONS = ["experiments", "filter", "orderBy", "maxResults"];
const RESULTS_OPTIONS = ["filter", "orderBy", "sortBy", "ascending"];

interface Query {
  predicate: Predicate<RunState>;
  orderBy: OrderKey[] | null;
}

export async function searchRuns(source: SearchSource, options?: SearchRunsOptions): Promise<SearchedRun[]> {
  const o = checkedOptions(options, SEARCH_OPTIONS, "searchRuns");
  const query = compileQuery(source, o.filter, o.orderBy);
  const maxResults = o.maxResults === undefined ? Infinity : validate.integerIn("maxResults", o.maxResults, 0, Number.MAX_SAFE_INTEGER);
  let experiments: ExperimentRecord[];
  if (o.experiments === undefined) experiments = await source.liveExperiments();
  else {
    if (!Array.isArray(o.experiments)) throw new InvalidInput("experiments", `must be an array of experiment names or ids, got ${validate.describe(o.experiments)}`);
    if (o.experiments.length === 0) throw new InvalidInput("experiments", "must name at least one experiment (leave it out to search every experiment)");
    o.experiments.forEach((e, i) => validate.identifier(`experiments[${i}]`, e));
    const found = new Map<string, ExperimentRecord>();
    for (const nameOrId of o.experiments as string[]) {
      const exp = await source.experiment(nameOrId);
      found.set(exp.experimentId, exp);
    }
    experiments = [...found.values()];
  }
  const matched: RunState[] = [];
  for (const exp of experiments) {
    const { runs } = await source.runs(exp.experimentId);
    for (const runId in runs) {
      const run = runs[runId]!;
      if (query.predicate(run)) matched.push(run);
    }
  }
  const ordered = orderRuns(matched, query.orderBy ?? [], stateAccessors(source));
  const answer = maxResults < ordered.length ? ordered.slice(0, maxResults) : ordered;
  return answer.map((run) => ({ ...source.view(run), parentRunId: run.parentRunId }));
}

/** loadResults: one row per run of one experiment, filtered and ordered as searchRuns would, as an Arquero table. */
export async function loadResults(source: SearchSource, experimentNameOrId: string, options?: LoadResultsOptions): Promise<ColumnTable> {
  validate.identifier("experimentNameOrId", experimentNameOrId);
  const o = checkedOptions(options, RESULTS_OPTIONS, "loadResults");
  const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
  const sortKey = o.sortBy === undefined ? undefined : validate.key("sortBy", o.sortBy);
  const query = compileQuery(source, o.filter, o.orderBy);
  const exp = await source.experiment(experimentNameOrId);
  let states = Object.values((await source.runs(exp.experimentId)).runs).filter(query.predicate);
  if (query.orderBy) states = orderRuns(states, query.orderBy, stateAccessors(source));
  const rows = states.map((r) => source.view(r));
  if (query.orderBy || sortKey === undefined) return resultsTable(rows);
  if (!resultColumns(rows).includes(sortKey)) {
    throw new InvalidInput("sortBy", `${JSON.stringify(sortKey)} is not a column; columns are ${[...BASE_COLUMNS].join(", ")} and params.*, metrics.*, tags.* of logged keys`);
  }
  return resultsTable(rows, { column: sortKey, ascending });
}

/** The params, metrics and tags keys the given runs have, each list sorted (for a UI's column picker or completion). */
export function runKeys(runs: readonly Run[]): { params: string[]; metrics: string[]; tags: string[] } {
  const params = new Set<string>();
  const metrics = new Set<string>();
  const tags = new Set<string>();
  for (const run of runs) {
    for (const k in run.params) params.add(k);
    for (const k in run.metrics) metrics.add(k);
    for (const k in run.tags) tags.add(k);
  }
  return { params: [...params].sort(), metrics: [...metrics].sort(), tags: [...tags].sort() };
}

function checkedOptions(options: unknown, allowed: string[], call: string): Record<string, unknown> {
  const o = validate.optionsObject("options", options);
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new InvalidInput(`options.${k}`, `is not an option of ${call} (${allowed.join(", ")})`);
  return o;
}

function compileQuery(source: SearchSource, filter: unknown, orderBy: unknown): Query {
  if (filter !== undefined && typeof filter !== "string") throw new InvalidInput("filter", `must be a string, got ${validate.describe(filter)}`);
  let keys: OrderKey[] | null = null;
  if (orderBy !== undefined) {
    const list = typeof orderBy === "string" ? [orderBy] : orderBy;
    if (!Array.isArray(list) || list.some((e) => typeof e !== "string")) throw new InvalidInput("orderBy", `must be a string or an array of strings, got ${validate.describe(orderBy)}`);
    keys = (list as string[]).map(parseOrderBy);
  }
  const predicate = compileFilter(filter === undefined ? null : parseFilter(filter), stateAccessors(source));
  return { predicate, orderBy: keys };
}

/** Reads a run state directly: no view is built for a run the filter does not keep. */
function stateAccessors(source: SearchSource): RunAccessors<RunState> {
  return {
    metric: (key) => (r) => r.metricLog.latest(key, r.metricCount),
    param: (key) => own(key, (r) => r.params),
    tag: (key) => own(key, (r) => r.tags),
    attribute: (name) => {
      switch (name) {
        case "runId": return (r) => r.runId;
        case "experimentId": return (r) => r.experimentId;
        case "parentRunId": return (r) => r.parentRunId;
        case "status": return (r) => source.status(r);
        case "startTime": return (r) => Date.parse(r.startTime);
        case "endTime": return (r) => (r.endTime === null ? null : Date.parse(r.endTime));
      }
    },
  };
}

/** A record's own value for `key` (a key like "constructor" must never read Object.prototype's). */
function own<R, V>(key: string, record: (r: R) => Record<string, V>): (r: R) => V | undefined {
  if (!(key in Object.prototype)) return (r) => record(r)[key];
  return (r) => {
    const rec = record(r);
    return Object.hasOwn(rec, key) ? rec[key] : undefined;
  };
}
