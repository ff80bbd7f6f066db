/** Experiment summaries: the catalogue joined with each experiment's runs. */
import type { ExperimentRecord } from "./experiments.js";
import type { ExperimentRunsState } from "./runs.js";
import { sortBy } from "./sort.js";

export interface ExperimentSummary {
  experimentId: string;
  name: string;
  createdAt: string;
  numRuns: number;
  /** Start time of the newest run, or null. */
  lastRun: string | null;
}

export const SUMMARY_SORT_KEYS = ["name", "numRuns", "lastRun", "createdAt"] as const;
export type SummarySortKey = (typeof SUMMARY_SORT_KEYS)[number];

export function summarize(experiments: readonly ExperimentRecord[], runsOf: (experimentId: string) => ExperimentRunsState): ExperimentSummary[] {
  return experiments.map((e) => {
    let numRuns = 0;
    let lastRun: string | null = null;
    for (const run of Object.values(runsOf(e.experimentId).runs)) {
      numRuns++;
      if (lastRun === null || run.startTime > lastRun) lastRun = run.startTime;
    }
    return { experimentId: e.experimentId, name: e.name, createdAt: e.createdAt, numRuns, lastRun };
  });
}

export function sortSummaries(rows: readonly ExperimentSummary[], key: SummarySortKey | undefined, ascending: boolean): ExperimentSummary[] {
  return key ? sortBy(rows, (r) => r[key], ascending) : [...rows];
}
