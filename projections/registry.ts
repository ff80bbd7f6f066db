/** The model registry: models, their gap-free versions, version tags and aliases. */
import type { EventMap } from "../src/events.js";
import { dict, type Projection } from "./fold.js";
import { sortBy } from "./sort.js";

type ModelVersionRegistered = EventMap["ModelVersionRegistered"];

/** A registered version: what its registration event said, and when. */
export interface VersionRecord extends ModelVersionRegistered {
  registeredAt: string;
}

export interface ModelRecord {
  name: string;
  versions: Record<string, VersionRecord>;
  lastVersion: number;
  /** alias → version */
  aliases: Record<string, string>;
}

export interface RegistryState {
  models: Record<string, ModelRecord>;
}

export interface ModelVersionView extends Omit<VersionRecord, "sha256" | "size" | "model" | "experimentId"> {
  aliases: string[];
}

export const registryProjection: Projection<RegistryState> = {
  name: "registry",
  initial: () => ({ models: dict() }),
  evolve(state, event) {
    switch (event.type) {
      case "ModelVersionRegistered": {
        const d = event.data;
        const model = (state.models[d.modelName] ??= { name: d.modelName, versions: dict(), lastVersion: 0, aliases: dict() });
        if (model.versions[d.version]) return; // a version is registered once
        model.versions[d.version] = { ...d, tags: dict(d.tags), registeredAt: d.registeredAt ?? event.ts };
        model.lastVersion = Math.max(model.lastVersion, Number(d.version));
        return;
      }
      case "ModelTagsSet": {
        const v = state.models[event.data.modelName]?.versions[event.data.version];
        if (v) Object.assign(v.tags, event.data.tags);
        return;
      }
      case "ModelTagsRemoved": {
        const v = state.models[event.data.modelName]?.versions[event.data.version];
        if (v) for (const k of event.data.keys) delete v.tags[k];
        return;
      }
      case "ModelAliasSet": {
        const model = state.models[event.data.modelName];
        if (model?.versions[event.data.version]) model.aliases[event.data.alias] = event.data.version;
        return;
      }
      case "ModelAliasDeleted": {
        const model = state.models[event.data.modelName];
        if (model) delete model.aliases[event.data.alias];
        return;
      }
    }
  },
};

export function versionView(model: ModelRecord, v: VersionRecord): ModelVersionView {
  return {
    modelName: v.modelName,
    version: v.version,
    sourceRunId: v.sourceRunId,
    artifactName: v.artifactName,
    registeredAt: v.registeredAt,
    tags: { ...v.tags },
    aliases: Object.keys(model.aliases).filter((a) => model.aliases[a] === v.version).sort(),
  };
}

export const VERSION_SORT_KEYS = ["version", "registeredAt", "sourceRunId", "artifactName"] as const;

export function modelVersions(model: ModelRecord | undefined, key: (typeof VERSION_SORT_KEYS)[number], ascending: boolean): ModelVersionView[] {
  if (!model) return [];
  const views = Object.values(model.versions).map((v) => versionView(model, v));
  return sortBy(views, (v) => (key === "version" ? Number(v.version) : v[key]), ascending);
}
