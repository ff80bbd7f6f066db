/** The runs table's columns: ids are the search grammar's identifiers, so a column sorts by its own name. */
import { fmtNumber, fmtTime, fmtValue, runDuration } from "../lib/format";
import type { Run, RunsAnswer } from "../lib/types";

export interface Column {
  id: string;
  label: string;
  kind: "attributes" | "params" | "metrics" | "tags";
  width: number;
  numeric: boolean;
  /** The orderBy identifier, or null when the column cannot be sorted by the server. */
  sortKey: string | null;
  text: (run: Run) => string;
}

const ATTRIBUTES: Column[] = [
  { id: "attributes.start_time", label: "Started", kind: "attributes", width: 168, numeric: false, sortKey: "attributes.start_time", text: (r) => fmtTime(r.startTime) },
  { id: "attributes.duration", label: "Duration", kind: "attributes", width: 90, numeric: true, sortKey: null, text: (r) => (r.status === "KILLED" && !r.endTime ? "" : runDuration(r.startTime, r.endTime)) },
  { id: "attributes.end_time", label: "Ended", kind: "attributes", width: 168, numeric: false, sortKey: "attributes.end_time", text: (r) => fmtTime(r.endTime) },
  { id: "attributes.experiment_id", label: "Experiment", kind: "attributes", width: 90, numeric: false, sortKey: "attributes.experiment_id", text: (r) => r.experimentId },
  { id: "attributes.parent_run_id", label: "Parent run", kind: "attributes", width: 120, numeric: false, sortKey: "attributes.parent_run_id", text: (r) => r.parentRunId ?? "" },
];
export const ATTRIBUTE_IDS = ATTRIBUTES.map((c) => c.id);

export function columnFor(id: string): Column | null {
  const attribute = ATTRIBUTES.find((c) => c.id === id);
  if (attribute) return attribute;
  const dot = id.indexOf(".");
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  if (!key) return null;
  const sortKey = `${kind}.\`${key}\``;
  const fit = (min: number) => Math.min(240, Math.max(min, Math.round(key.length * 8 + 30)));
  if (kind === "metrics") return { id, label: key, kind, width: fit(100), numeric: true, sortKey, text: (r) => fmtNumber(r.metrics[key]) };
  if (kind === "params") return { id, label: key, kind, width: fit(90), numeric: false, sortKey, text: (r) => fmtValue(r.params[key]) };
  if (kind === "tags") return { id, label: key, kind, width: fit(100), numeric: false, sortKey, text: (r) => r.tags[key] ?? "" };
  return null;
}

/** Every column the table could show, grouped. */
export function availableColumns(keys: RunsAnswer["keys"] | undefined): Array<[string, string[]]> {
  return [
    ["Attributes", ATTRIBUTE_IDS],
    ["Metrics", (keys?.metrics ?? []).map((k) => `metrics.${k}`)],
    ["Params", (keys?.params ?? []).map((k) => `params.${k}`)],
    ["Tags", (keys?.tags ?? []).map((k) => `tags.${k}`)],
  ];
}

/** Without a choice in the URL: start time, duration, then metrics and params, twenty at most. */
export function defaultColumns(keys: RunsAnswer["keys"] | undefined): string[] {
  const rest = [...(keys?.metrics ?? []).map((k) => `metrics.${k}`), ...(keys?.params ?? []).map((k) => `params.${k}`)];
  return ["attributes.start_time", "attributes.duration", ...rest].slice(0, 20);
}

/** The display name of a run: its runName tag when it has one. */
export function runName(run: Run): string {
  return run.tags["runName"] ?? run.tags["mlflow.runName"] ?? run.runId.slice(-8);
}
