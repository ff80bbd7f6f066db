/** The experiment catalogue: which experiments exist, their names, and the last id handed out. */
import { dict, type Projection } from "./fold.js";

export interface ExperimentRecord {
  experimentId: string;
  name: string;
  createdAt: string;
  deletedAt: string | null;
  /** Set only on imported experiments (`import.source`, the source's own tags). */
  tags?: Record<string, string>;
}

export interface CatalogState {
  /** By id; integer-like keys iterate in numeric order, which is creation order. */
  experiments: Record<string, ExperimentRecord>;
  lastId: number;
}

export const catalogProjection: Projection<CatalogState> = {
  name: "catalog",
  initial: () => ({ experiments: dict(), lastId: -1 }),
  evolve(state, event) {
    switch (event.type) {
      case "ExperimentCreated": {
        const { experimentId, name, createdAt, tags } = event.data;
        if (state.experiments[experimentId]) return; // ids are never reused: a second claim changes nothing
        state.experiments[experimentId] = { experimentId, name, createdAt: createdAt ?? event.ts, deletedAt: null };
        if (tags) state.experiments[experimentId]!.tags = dict(tags);
        state.lastId = Math.max(state.lastId, Number(experimentId));
        return;
      }
      case "ExperimentDeleted": {
        const exp = state.experiments[event.data.experimentId];
        if (exp && exp.deletedAt === null) exp.deletedAt = event.ts;
        return;
      }
    }
  },
};

export function liveExperiments(state: CatalogState): ExperimentRecord[] {
  return Object.values(state.experiments).filter((e) => e.deletedAt === null);
}

export function findLiveExperiment(state: CatalogState, nameOrId: string, by: "id" | "name" | "either" = "either"): ExperimentRecord | null {
  const live = liveExperiments(state);
  if (by !== "name") {
    const hit = live.find((e) => e.experimentId === nameOrId);
    if (hit || by === "id") return hit ?? null;
  }
  return live.find((e) => e.name === nameOrId) ?? null;
}
