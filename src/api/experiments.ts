/** Experiments: create (once, however many processes race), look up, summarize, delete. */
import {
  findLiveExperiment, liveExperiments, sortBy, sortSummaries, summarize, SUMMARY_SORT_KEYS, type ExperimentRecord, type ExperimentRunsState,
} from "../../projections/index.js";
import { InvalidInput } from "../errors.js";
import { draft } from "../events.js";
import * as validate from "../validate.js";
import type { ArtifactsApi } from "./artifacts.js";
import { type Context, DEFAULT_EXPERIMENT } from "./context.js";
import type { Experiment, ExperimentSummary, RunInfo } from "./types.js";

const RUN_SORT_KEYS = ["runId", "status", "startTime", "endTime"] as const;

export class ExperimentsApi {
  constructor(private readonly ctx: Context, private readonly artifacts: ArtifactsApi) {}

  async getOrCreate(name: string): Promise<string> {
    validate.name("name", name);
    await this.ctx.init();
    return this.ctx.decide(this.ctx.catalog, (state) => {
      const existing = findLiveExperiment(state, name, "name");
      if (existing) return { result: existing.experimentId };
      const experimentId = String(state.lastId + 1);
      return { result: experimentId, events: [draft("ExperimentCreated", { experimentId, name })] };
    });
  }

  async get(experimentId: string): Promise<Experiment | null> {
    validate.identifier("experimentId", experimentId);
    const found = findLiveExperiment(await this.ctx.catalogState(), experimentId, "id");
    return found ? experimentView(found) : null;
  }

  async list(): Promise<Experiment[]> {
    return liveExperiments(await this.ctx.catalogState()).map(experimentView);
  }

  async summaries(options?: { sortBy?: string; ascending?: boolean }): Promise<ExperimentSummary[]> {
    const o = validate.optionsObject("options", options);
    const key = o.sortBy === undefined ? undefined : validate.oneOf("sortBy", o.sortBy, SUMMARY_SORT_KEYS);
    const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
    const experiments = liveExperiments(await this.ctx.catalogState());
    const states = new Map<string, ExperimentRunsState>();
    for (const e of experiments) states.set(e.experimentId, await this.ctx.runsOf(e.experimentId));
    return sortSummaries(summarize(experiments, (id) => states.get(id)!), key, ascending);
  }

  async runs(experimentId: string, options?: { sortBy?: string; ascending?: boolean }): Promise<RunInfo[]> {
    validate.identifier("experimentId", experimentId);
    const o = validate.optionsObject("options", options);
    const key = o.sortBy === undefined ? "startTime" : validate.oneOf("sortBy", o.sortBy, RUN_SORT_KEYS);
    const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
    const exp = await this.ctx.requireExperiment(experimentId, "id");
    const runs = Object.values((await this.ctx.runsOf(exp.experimentId)).runs).map((r) => this.ctx.runInfo(r));
    return sortBy(runs, (r) => r[key], ascending);
  }

  async delete(nameOrId: string): Promise<void> {
    validate.identifier("nameOrId", nameOrId);
    const exp = await this.ctx.requireExperiment(nameOrId, "either");
    if (exp.experimentId === DEFAULT_EXPERIMENT.experimentId) throw new InvalidInput("nameOrId", "the Default experiment (id 0) always exists and cannot be deleted");
    const runs = Object.values((await this.ctx.runsOf(exp.experimentId)).runs);
    await this.ctx.catalog.journal.append([draft("ExperimentDeleted", { experimentId: exp.experimentId })]);
    await this.artifacts.release(runs);
  }
}

function experimentView(e: ExperimentRecord): Experiment {
  return { experimentId: e.experimentId, name: e.name, createdAt: e.createdAt };
}
