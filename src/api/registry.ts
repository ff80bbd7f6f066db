/** The model registry: versions numbered 1, 2, … per model however many processes register at once; tags and aliases. */
import { modelVersions, sortBy, VERSION_SORT_KEYS } from "../../projections/index.js";
import { InvalidInput, ModelNotFound, ModelVersionNotFound } from "../errors.js";
import { draft } from "../events.js";
import * as validate from "../validate.js";
import type { ArtifactsApi } from "./artifacts.js";
import type { Context } from "./context.js";
import type { ModelVersion } from "./types.js";

export class RegistryApi {
  constructor(private readonly ctx: Context, private readonly artifacts: ArtifactsApi) {}

  async register(runId: string, artifactName: string, modelName: string, tags?: Record<string, string>): Promise<string> {
    validate.identifier("runId", runId);
    validate.name("artifactName", artifactName);
    validate.name("modelName", modelName);
    const versionTags = tags === undefined ? {} : validate.stringRecord("tags", tags);
    const run = await this.ctx.requireRun(runId);
    const artifact = await this.artifacts.holdForRegistry(runId, artifactName);
    return this.ctx.decide(this.ctx.registry, (state) => {
      const version = String((state.models[modelName]?.lastVersion ?? 0) + 1);
      const data = { modelName, version, sourceRunId: runId, experimentId: run.experimentId, artifactName, ...artifact, tags: versionTags };
      return { result: version, events: [draft("ModelVersionRegistered", data)] };
    });
  }

  async list(options?: { ascending?: boolean }): Promise<string[]> {
    const o = validate.optionsObject("options", options);
    const ascending = o.ascending === undefined ? true : validate.boolean("ascending", o.ascending);
    const names = Object.keys((await this.ctx.registryState()).models);
    return sortBy(names, (n) => n, ascending);
  }

  async versions(modelName: string, options?: { sortBy?: string; ascending?: boolean }): Promise<ModelVersion[]> {
    validate.name("modelName", modelName);
    const o = validate.optionsObject("options", options);
    const key = o.sortBy === undefined ? "version" : validate.oneOf("sortBy", o.sortBy, VERSION_SORT_KEYS);
    const ascending = o.ascending === undefined ? false : validate.boolean("ascending", o.ascending);
    return modelVersions((await this.ctx.registryState()).models[modelName], key, ascending);
  }

  async addTags(modelName: string, version: string, tags: Record<string, string>): Promise<Record<string, string>> {
    validate.name("modelName", modelName);
    validate.key("version", version);
    validate.stringRecord("tags", tags);
    await this.ctx.requireVersion(modelName, version);
    await this.ctx.registry.journal.append([draft("ModelTagsSet", { modelName, version, tags })]);
    return this.tags(modelName, version);
  }

  async removeTags(modelName: string, version: string, keys: string[]): Promise<Record<string, string>> {
    validate.name("modelName", modelName);
    validate.key("version", version);
    validate.stringList("keys", keys);
    await this.ctx.requireVersion(modelName, version);
    await this.ctx.registry.journal.append([draft("ModelTagsRemoved", { modelName, version, keys })]);
    return this.tags(modelName, version);
  }

  async tags(modelName: string, version: string): Promise<Record<string, string>> {
    validate.name("modelName", modelName);
    validate.key("version", version);
    return { ...(await this.ctx.requireVersion(modelName, version)).tags };
  }

  async setAlias(modelName: string, alias: string, version: string): Promise<void> {
    validate.name("modelName", modelName);
    checkAlias(alias);
    validate.key("version", version);
    await this.ctx.requireVersion(modelName, version);
    await this.ctx.registry.journal.append([draft("ModelAliasSet", { modelName, alias, version })]);
  }

  async deleteAlias(modelName: string, alias: string): Promise<void> {
    validate.name("modelName", modelName);
    checkAlias(alias);
    const model = (await this.ctx.registryState()).models[modelName];
    if (!model) throw new ModelNotFound(modelName);
    if (model.aliases[alias] === undefined) throw new ModelVersionNotFound(modelName, `@${alias}`);
    await this.ctx.registry.journal.append([draft("ModelAliasDeleted", { modelName, alias })]);
  }
}

function checkAlias(alias: string): void {
  validate.name("alias", alias);
  if (alias.startsWith("@") || alias === "latest" || /^\d+$/.test(alias)) {
    throw new InvalidInput("alias", `${JSON.stringify(alias)} would be read as a version; use a name like "champion"`);
  }
}
