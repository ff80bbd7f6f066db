/**
 * The one call /api/runs makes to find runs: `searchRuns` (API.md, "Searching runs"), through this
 * adapter until the library has it.
 */
import { InvalidInput, type Run, type RuneLog } from "../../index.js";

export interface SearchOptions {
  experiments?: string[];
  filter?: string;
  orderBy?: string[];
}

export type FoundRun = Run & { parentRunId: string | null };

type SearchRuns = (options?: SearchOptions) => Promise<FoundRun[]>;

export async function searchRuns(view: RuneLog, options: SearchOptions): Promise<FoundRun[]> {
  const search = (view as unknown as { searchRuns?: SearchRuns }).searchRuns;
  if (typeof search === "function") return search.call(view, options);
  if (options.filter || options.orderBy?.length) throw new InvalidInput("filter", "searching is not in this build of runelog yet");
  const experiments = options.experiments ?? (await view.listExperiments()).map((e) => e.experimentId);
  const out: FoundRun[] = [];
  for (const exp of experiments) {
    const id = (await view.listExperiments()).find((e) => e.experimentId === exp || e.name === exp)?.experimentId ?? exp;
    for (const info of await view.getExperimentRuns(id)) {
      const details = (await view.getRunDetails(info.runId))!;
      const { runId, experimentId, status, startTime, endTime, params, metrics, tags, parentRunId } = details;
      out.push({ runId, experimentId, status, startTime, endTime, params, metrics, tags, parentRunId });
    }
  }
  return out;
}
