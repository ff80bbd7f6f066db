/**
 * The runs of one experiment state as columns, for searching. A state handed out by a projector never
 * changes (the next event makes a new state), so its table is cached per state object, and each column
 * is read out of the run states once, on first use: a repeated search scans typed arrays instead of
 * looking keys up in every run's records. The status column is never cached (a RUNNING run whose
 * process dies becomes KILLED without any event).
 */
import type { ExperimentRunsState, RunState } from "../../projections/index.js";
import type { RunStatus } from "../events.js";
import type { AttributeName, RunAccessors } from "../query/index.js";

interface NumberColumn {
  values: Float64Array;
  /** 1 where the run has a value. */
  has: Uint8Array;
}

export class RunTable {
  readonly runs: RunState[];
  private readonly metrics = new Map<string, NumberColumn>();
  private readonly params = new Map<string, unknown[]>();
  private readonly tags = new Map<string, Array<string | undefined>>();
  private readonly times = new Map<"startTime" | "endTime", NumberColumn>();

  private constructor(state: ExperimentRunsState) {
    this.runs = Object.values(state.runs);
  }

  private static readonly cache = new WeakMap<ExperimentRunsState, RunTable>();

  static of(state: ExperimentRunsState): RunTable {
    let table = RunTable.cache.get(state);
    if (!table) RunTable.cache.set(state, (table = new RunTable(state)));
    return table;
  }

  metric(key: string): NumberColumn {
    let column = this.metrics.get(key);
    if (!column) {
      column = numberColumn(this.runs, (r) => r.metricLog.latest(key, r.metricCount));
      this.metrics.set(key, column);
    }
    return column;
  }

  param(key: string): unknown[] {
    let column = this.params.get(key);
    if (!column) this.params.set(key, (column = this.runs.map((r) => own(r.params, key))));
    return column;
  }

  tag(key: string): Array<string | undefined> {
    let column = this.tags.get(key);
    if (!column) this.tags.set(key, (column = this.runs.map((r) => own(r.tags, key))));
    return column;
  }

  time(name: "startTime" | "endTime"): NumberColumn {
    let column = this.times.get(name);
    if (!column) {
      column = numberColumn(this.runs, name === "startTime" ? (r) => Date.parse(r.startTime) : (r) => (r.endTime === null ? undefined : Date.parse(r.endTime)));
      this.times.set(name, column);
    }
    return column;
  }
}

/**
 * Readers over rows of several tables at once: a row is `rows[k]` of `tables[tableOf[k]]`. With one
 * table and the identity row list, a row number is simply the run's index in that table.
 */
export function tableAccessors(tables: readonly RunTable[], tableOf: ArrayLike<number>, rowOf: ArrayLike<number>, status: (run: RunState) => RunStatus): RunAccessors<number> {
  const number = (columns: NumberColumn[]) => (k: number) => {
    const c = columns[tableOf[k]!]!;
    const i = rowOf[k]!;
    return c.has[i] ? c.values[i] : undefined;
  };
  const values = <V>(columns: V[][]) => (k: number) => columns[tableOf[k]!]![rowOf[k]!];
  const run = (k: number) => tables[tableOf[k]!]!.runs[rowOf[k]!]!;
  return {
    metric: (key) => number(tables.map((t) => t.metric(key))),
    param: (key) => values(tables.map((t) => t.param(key))),
    tag: (key) => values(tables.map((t) => t.tag(key))),
    attribute: (name: AttributeName) => {
      switch (name) {
        case "startTime":
        case "endTime":
          return number(tables.map((t) => t.time(name))) as (k: number) => number | null;
        case "runId": return (k) => run(k).runId;
        case "experimentId": return (k) => run(k).experimentId;
        case "parentRunId": return (k) => run(k).parentRunId;
        case "status": return (k) => status(run(k));
      }
    },
  };
}

/** Readers over one table's rows by index (the filter's pass over a single experiment). */
export function singleTableAccessors(table: RunTable, status: (run: RunState) => RunStatus): RunAccessors<number> {
  const metric = (c: NumberColumn) => (i: number) => (c.has[i] ? c.values[i] : undefined);
  return {
    metric: (key) => metric(table.metric(key)),
    param: (key) => {
      const c = table.param(key);
      return (i) => c[i];
    },
    tag: (key) => {
      const c = table.tag(key);
      return (i) => c[i];
    },
    attribute: (name: AttributeName) => {
      const runs = table.runs;
      switch (name) {
        case "startTime":
        case "endTime":
          return metric(table.time(name)) as (i: number) => number | null;
        case "runId": return (i) => runs[i]!.runId;
        case "experimentId": return (i) => runs[i]!.experimentId;
        case "parentRunId": return (i) => runs[i]!.parentRunId;
        case "status": return (i) => status(runs[i]!);
      }
    },
  };
}

function numberColumn(runs: readonly RunState[], read: (r: RunState) => number | undefined): NumberColumn {
  const values = new Float64Array(runs.length);
  const has = new Uint8Array(runs.length);
  for (let i = 0; i < runs.length; i++) {
    const v = read(runs[i]!);
    if (v !== undefined) {
      values[i] = v;
      has[i] = 1;
    }
  }
  return { values, has };
}

/** A record's own value (a key like "constructor" must never read Object.prototype's). */
function own<V>(record: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
