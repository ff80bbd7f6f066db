/**
 * Artifacts and models: bytes go to the blob store first and the event naming them is appended
 * after; runs and the registry hold blobs, and deleting a run or experiment drops its holds.
 */
import type { ArtifactRecord, ModelRecord, RunState, VersionRecord } from "../../projections/index.js";
import { ArtifactNotFound, ModelNotFound, ModelVersionNotFound, NoVersionsFound } from "../errors.js";
import { checkSerializer, deserializeModel, type ModelSerializer } from "../models.js";
import type { BlobHolder, BlobRef, BlobSource } from "../store/types.js";
import * as validate from "../validate.js";
import type { Context } from "./context.js";

export class ArtifactsApi {
  constructor(private readonly ctx: Context) {}

  /** Puts the bytes and makes the run hold them under `name` (putting again if a concurrent delete removed them meanwhile). */
  async store(runId: string, name: string, source: BlobSource): Promise<BlobRef> {
    for (;;) {
      const ref = await this.ctx.store.blobs.put(source);
      if (await this.ctx.store.blobs.attach(ref.sha256, { kind: "run", runId, name })) return ref;
    }
  }

  /** The registry holds a version's blob before any event names it, so deleting the run cannot take it away. */
  async holdForRegistry(runId: string, artifactName: string): Promise<ArtifactRecord> {
    const artifact = await this.requireArtifact(runId, artifactName);
    if (!(await this.ctx.store.blobs.attach(artifact.sha256, { kind: "registry" }))) throw new ArtifactNotFound(artifactName, "its stored bytes are gone");
    return artifact;
  }

  /** Drops every hold these runs have on their artifacts' blobs. */
  release(runs: readonly RunState[]): Promise<void> {
    const holds: Array<{ sha256: string; holder: BlobHolder }> = [];
    for (const run of runs) for (const [name, a] of Object.entries(run.artifacts)) holds.push({ sha256: a.sha256, holder: { kind: "run", runId: run.runId, name } });
    return this.ctx.store.blobs.detach(holds);
  }

  async localPath(runId: string, artifactName: string): Promise<string> {
    validate.identifier("runId", runId);
    validate.name("artifactName", artifactName);
    const artifact = await this.requireArtifact(runId, artifactName);
    // A view of the past writes nothing, so it cannot restore a link released since.
    return this.ctx.store.blobs.localPath(artifact.sha256, { kind: "run", runId, name: artifactName }, { repair: !this.ctx.past });
  }

  /** Loads a model a run logged with logModel (or a logged file's bytes), without registering it. */
  async loadModel(runId: string, artifactName: string, options?: { serializer?: ModelSerializer }): Promise<unknown> {
    validate.identifier("runId", runId);
    validate.name("artifactName", artifactName);
    const serializer = checkSerializer(validate.optionsObject("options", options).serializer);
    const artifact = await this.requireArtifact(runId, artifactName);
    return deserializeModel(await this.ctx.store.blobs.read(artifact.sha256), artifact.model, serializer);
  }

  /** Loads a registered model: `version` is a number, "latest" (the highest) or "@alias". */
  async loadRegisteredModel(modelName: string, version: string | number = "latest", options?: { serializer?: ModelSerializer }): Promise<unknown> {
    validate.name("modelName", modelName);
    const o = validate.optionsObject("options", options);
    const serializer = checkSerializer(o.serializer);
    const wanted = typeof version === "number" ? String(version) : validate.key("version", version);
    const model = (await this.ctx.registryState()).models[modelName];
    if (!model) throw new ModelNotFound(modelName);
    if (Object.keys(model.versions).length === 0) throw new NoVersionsFound(modelName);
    const record = resolveVersion(model, wanted);
    return deserializeModel(await this.ctx.store.blobs.read(record.sha256), record.model, serializer);
  }

  private async requireArtifact(runId: string, artifactName: string): Promise<ArtifactRecord> {
    const artifact = (await this.ctx.requireRun(runId)).artifacts[artifactName];
    if (!artifact) throw new ArtifactNotFound(artifactName, `run ${runId} has no artifact of that name`);
    return artifact;
  }
}

function resolveVersion(model: ModelRecord, wanted: string): VersionRecord {
  let version = wanted;
  if (wanted === "latest") version = String(model.lastVersion);
  else if (wanted.startsWith("@")) version = model.aliases[wanted.slice(1)] ?? "";
  const record = model.versions[version];
  if (!record) throw new ModelVersionNotFound(model.name, wanted);
  return record;
}
