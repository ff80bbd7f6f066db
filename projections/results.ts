/** The results table: one row per run, built column by column (aq.table over arrays, not aq.from over objects). */
import type { ColumnTable } from "arquero";
import type { RunStatus } from "../src/events.js";
import { sortBy } from "./sort.js";

export interface ResultRow {
  runId: string;
  experimentId: string;
  status: RunStatus;
  startTime: string;
  endTime: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

export const BASE_COLUMNS = ["runId", "experimentId", "status", "startTime", "endTime"] as const;
type BaseColumn = (typeof BASE_COLUMNS)[number];

/** Column names for these rows: the five base columns, then params.*, metrics.*, tags.*, each group sorted. */
export function resultColumns(rows: readonly ResultRow[]): string[] {
  const groups = { params: new Set<string>(), metrics: new Set<string>(), tags: new Set<string>() };
  for (const row of rows) for (const g of ["params", "metrics", "tags"] as const) for (const k of Object.keys(row[g])) groups[g].add(k);
  const names: string[] = [...BASE_COLUMNS];
  for (const g of ["params", "metrics", "tags"] as const) for (const k of [...groups[g]].sort()) names.push(`${g}.${k}`);
  return names;
}

/** How to read one column's cell from a row; made once per column, not once per cell. */
function accessor(column: string): (row: ResultRow) => unknown {
  const dot = column.indexOf(".");
  if (dot < 0) return (row) => row[column as BaseColumn];
  const group = column.slice(0, dot) as "params" | "metrics" | "tags";
  const key = column.slice(dot + 1);
  return (row) => {
    const value = row[group][key];
    return value === undefined ? null : value;
  };
}

/**
 * Builds the table; `sort` must be one of resultColumns(rows) (the caller checks). Arquero is loaded
 * on first use: importing it costs ~110 ms of start-up that writers and the CLI mostly never need.
 */
export async function resultsTable(rows: readonly ResultRow[], sort?: { column: string; ascending: boolean }): Promise<ColumnTable> {
  const aq = await import("arquero");
  const names = resultColumns(rows);
  const ordered = sort ? sortBy(rows, accessor(sort.column), sort.ascending) : rows;
  const columns: Record<string, unknown[]> = {};
  for (const name of names) columns[name] = ordered.map(accessor(name));
  return aq.table(columns);
}
