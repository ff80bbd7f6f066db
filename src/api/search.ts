/**
 * searchRuns and loadResults' filter/orderBy: parse once, compile to one predicate per experiment, and
 * run it over that experiment's runs as columns (run-table.ts); nothing is copied until a run is in the answer.
 */
import type { ColumnTable } from "arquero";
import { BASE_COLUMNS, liveExperiments, resultColumns, resultsTable, type ExperimentRecord, type RunState } from "../../projections/index.js";
import { InvalidInput } from "../errors.js";
import { compileFilter, type Expr, orderRuns, parseFilter, parseOrderBy, type OrderKey } from "../query/index.js";
import * as validate from "../validate.js";
import type { Context } from "./context.js";
import type { Run } from "./types.js";
import { RunTable, singleTableAccessors, tableAccessors } from "./run-table.js";

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

/** A run as searchRuns returns it: getRun's shape (the tracker's `Run`) plus its parent run. */
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
  filter: Expr | null;
  orderBy: OrderKey[] | null;
}

/** searchRuns and loadResults, over the experiments' projections (Context). */
export class SearchApi {
  constructor(private readonly ctx: Context) {}

  runs(options?: SearchRunsOptions): Promise<SearchedRun[]> {
    return searchRuns(this.ctx, options);
  }

  results(experimentNameOrId: string, options?: LoadResultsOptions): Promise<ColumnTable> {
    return loadResults(this.ctx, experimentNameOrId, options);
  }
}

async function searchRuns(source: Context, options?: SearchRunsOptions): Promise<SearchedRun[]> {
  const o = checkedOptions(options, SEARCH_OPTIONS, "searchRuns");
  const query = parseQuery(o.filter, o.orderBy);
  const maxResults = o.maxResults === undefined ? Infinity : validate.integerIn("maxResults", o.maxResults, 0, Number.MAX_SAFE_INTEGER);
  let experiments: ExperimentRecord[];
  if (o.experiments === undefined) experiments = liveExperiments(await source.catalogState());
  else {
    if (!Array.isArray(o.experiments)) throw new InvalidInput("experiments", `must be an array of experiment names or ids, got ${validate.describe(o.experiments)}`);
    if (o.experiments.length === 0) throw new InvalidInput("experiments", "must name at least one experiment (leave it out to search every experiment)");
    o.experiments.forEach((e, i) => validate.identifier(`experiments[${i}]`, e));
    const found = new Map<string, ExperimentRecord>();
    for (const nameOrId of o.experiments as string[]) {
      const exp = await source.requireExperiment(nameOrId, "either");
      found.set(exp.experimentId, exp);
    }
    experiments = [...found.values()];
  }
  const tables: RunTable[] = [];
  for (const exp of experiments) tables.push(RunTable.of(await source.runsOf(exp.experimentId)));
  const ordered = select(tables, query, source, true);
  const answer = maxResults < ordered.length ? ordered.slice(0, maxResults) : ordered;
  return answer.map((run) => searchedRun(run, source));
}

/** loadResults: one row per run of one experiment, filtered and ordered as searchRuns would, as an Arquero table. */
async function loadResults(source: Context, experimentNameOrId: string, options?: LoadResultsOptions): Promise<ColumnTable> {
  validate.identifier("experimentNameOrId", experimentNameOrId);
  const o = checkedOptions(options, RESULTS_OPTIONS, "loadResults");
  const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
  const sortKey = o.sortBy === undefined ? undefined : validate.key("sortBy", o.sortBy);
  const query = parseQuery(o.filter, o.orderBy);
  const exp = await source.requireExperiment(experimentNameOrId, "either");
  const rows = select([RunTable.of(await source.runsOf(exp.experimentId))], query, source, query.orderBy !== null).map((r) => source.runView(r));
  if (query.orderBy || sortKey === undefined) return resultsTable(rows);
  if (!resultColumns(rows).includes(sortKey)) {
    throw new InvalidInput("sortBy", `${JSON.stringify(sortKey)} is not a column; columns are ${[...BASE_COLUMNS].join(", ")} and params.*, metrics.*, tags.* of logged keys`);
  }
  return resultsTable(rows, { column: sortKey, ascending });
}

/** Plain-object copies of a run state's records, made once per state (a state never changes; the next event makes a new one). */
interface Records {
  params: Record<string, unknown>;
  /** Whether some param is an object or array (then each answer needs its own deep copy). */
  nested: boolean;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}
const records = new WeakMap<RunState, Records>();

/**
 * getRun's view of a run, plus parentRunId. Copying plain objects of one shape is several times
 * faster than reading the states' prototype-less records, and a search may return many runs.
 */
function searchedRun(run: RunState, source: Context): SearchedRun {
  let r = records.get(run);
  if (!r) {
    const view = source.runView(run);
    r = { params: view.params, nested: Object.values(view.params).some((v) => typeof v === "object" && v !== null), metrics: view.metrics, tags: view.tags };
    records.set(run, r);
  }
  return {
    runId: run.runId,
    experimentId: run.experimentId,
    status: source.status(run),
    startTime: run.startTime,
    endTime: run.endTime,
    params: r.nested ? structuredClone(r.params) : { ...r.params },
    metrics: { ...r.metrics },
    tags: { ...r.tags },
    parentRunId: run.parentRunId,
  };
}

/** The params, metrics and tags keys the given runs have, each list sorted (for a UI's column picker or completion). */
export function runKeys(runs: ReadonlyArray<Pick<Run, "params" | "metrics" | "tags">>): { params: string[]; metrics: string[]; tags: string[] } {
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

function parseQuery(filter: unknown, orderBy: unknown): Query {
  if (filter !== undefined && typeof filter !== "string") throw new InvalidInput("filter", `must be a string, got ${validate.describe(filter)}`);
  let keys: OrderKey[] | null = null;
  if (orderBy !== undefined) {
    const list = typeof orderBy === "string" ? [orderBy] : orderBy;
    if (!Array.isArray(list) || list.some((e) => typeof e !== "string")) throw new InvalidInput("orderBy", `must be a string or an array of strings, got ${validate.describe(orderBy)}`);
    keys = (list as string[]).map(parseOrderBy);
  }
  return { filter: filter === undefined ? null : parseFilter(filter), orderBy: keys };
}

/**
 * The runs of these tables that match, ordered when `sort` (by orderBy, then startTime, then runId),
 * else in table order. The filter is compiled once per table and run over row numbers.
 */
function select(tables: readonly RunTable[], query: Query, source: Context, sort: boolean): RunState[] {
  const status = (run: RunState) => source.status(run);
  const tableOf: number[] = [];
  const rowOf: number[] = [];
  tables.forEach((table, t) => {
    const keep = compileFilter(query.filter, singleTableAccessors(table, status));
    for (let i = 0, n = table.runs.length; i < n; i++) {
      if (keep(i)) {
        tableOf.push(t);
        rowOf.push(i);
      }
    }
  });
  const hits = Array.from({ length: rowOf.length }, (_, k) => k);
  const ordered = sort ? orderRuns(hits, query.orderBy ?? [], tableAccessors(tables, tableOf, rowOf, status)) : hits;
  return ordered.map((k) => tables[tableOf[k]!]!.runs[rowOf[k]!]!);
}
