/**
 * Writes an MLflow 3 file store the way MLflow 3's own writers do, for tests of `runelog import
 * mlflow` (no MLflow 3 can run here). Every method names the MLflow function it follows; what it
 * writes is what that function writes, file for file, read in MLflow's source (docs/migrating.md,
 * "What was checked against what", says which files at which commits):
 *
 * - mlflow/store/tracking/file_store.py (FileStore): _create_experiment_with_id, create_run,
 *   _make_persisted_run_info_dict, _overwrite_run_info, _log_run_param, _set_run_tag,
 *   _log_run_metric, _log_model_metric, log_outputs (_FileStoreOutput.write_yaml),
 *   create_logged_model, _make_persisted_model_dict, log_logged_model_params,
 *   set_logged_model_tags, finalize_logged_model, delete_logged_model, _get_model_artifact_dir.
 * - mlflow/store/model_registry/file_store.py (FileStore): create_registered_model,
 *   create_model_version (source "models:/<id>" → storage_location = the model's
 *   artifact_location, run_id = its source_run_id), _save_model_version_as_meta_file.
 * - mlflow/models/model.py, Model.log: the order of the calls above for one `log_model`.
 * - mlflow/tracking/_model_registry/fluent.py, _register_model: the logged model's tag
 *   `mlflow.modelVersions`.
 *
 * YAML is written as PyYAML's safe_dump writes it for these values (keys sorted, strings that
 * would read as something else single-quoted). Ids and times are the caller's, so a test can name them.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Yaml = Record<string, string | number | null | never[]>;

function scalar(v: string | number | null | never[]): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "[]";
  if (typeof v === "number") return String(v);
  if (v === "" || /^[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(v) || /^(null|true|false|yes|no|on|off|~)$/i.test(v) || /^[\s'"&*!|>%@`{[#-]|: |\s$/.test(v)) {
    return `'${v.replace(/'/g, "''")}'`;
  }
  return v;
}

/** mlflow.utils.yaml_utils.write_yaml: yaml.safe_dump(data, default_flow_style=False), keys sorted. */
function writeYaml(file: string, data: Yaml): void {
  mkdirSync(dirname(file), { recursive: true });
  const keys = Object.keys(data).sort();
  writeFileSync(file, keys.map((k) => `${k}: ${scalar(data[k]!)}\n`).join(""));
}

/** mlflow.utils.file_utils.write_to: the value as text, no newline. */
function writeTo(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export interface Mlflow3Model {
  id: string;
  experimentId: string;
  name: string;
  sourceRunId: string | null;
  modelType: string | null;
  createdAt: number;
  status: "PENDING" | "READY" | "FAILED";
  dir: string;
}

export class Mlflow3Store {
  private readonly runs = new Map<string, { experimentId: string; dir: string; meta: Yaml; params: Record<string, string>; metrics: Map<string, Array<{ ts: number; value: number; step: number; dataset?: [string, string] }>> }>();
  private readonly experiments = new Map<string, string>();
  readonly models = new Map<string, Mlflow3Model>();

  /** FileStore.__init__: the root, `.trash/`, and the Default experiment "0" (_create_default_experiment). */
  constructor(readonly root: string, time: number) {
    mkdirSync(join(root, ".trash"), { recursive: true });
    this.createExperiment("0", "Default", time);
  }

  /** FileStore._create_experiment_with_id: `<id>/meta.yaml`, artifact_location = `<root URI>/<id>`. */
  createExperiment(id: string, name: string, time: number): void {
    const dir = join(this.root, id);
    writeYaml(join(dir, "meta.yaml"), { artifact_location: `${pathToFileURL(this.root).href}/${id}`, creation_time: time, experiment_id: id, last_update_time: time, lifecycle_stage: "active", name });
    this.experiments.set(id, dir);
  }

  /** FileStore.create_run (with _make_persisted_run_info_dict): meta.yaml, metrics/, params/, artifacts/, the run-name tag, then the context tags. */
  createRun(experimentId: string, runId: string, runName: string, startTime: number, tags: Record<string, string> = {}): void {
    const dir = join(this.experiments.get(experimentId)!, runId);
    const meta: Yaml = {
      artifact_uri: `${pathToFileURL(this.root).href}/${experimentId}/${runId}/artifacts`,
      end_time: null,
      entry_point_name: "",
      experiment_id: experimentId,
      lifecycle_stage: "active",
      run_id: runId,
      run_name: runName,
      run_uuid: runId,
      source_name: "",
      source_type: 4,
      source_version: "",
      start_time: startTime,
      status: 1,
      tags: [],
      user_id: "ada",
      deleted_time: null,
    };
    writeYaml(join(dir, "meta.yaml"), meta);
    for (const f of ["metrics", "params", "artifacts"]) mkdirSync(join(dir, f), { recursive: true });
    this.runs.set(runId, { experimentId, dir, meta, params: {}, metrics: new Map() });
    this.setTag(runId, "mlflow.runName", runName);
    for (const [k, v] of Object.entries(tags)) this.setTag(runId, k, v);
  }

  /** FileStore._set_run_tag. */
  setTag(runId: string, key: string, value: string): void {
    writeTo(join(this.runs.get(runId)!.dir, "tags", key), value);
  }

  /** FileStore._log_run_param. */
  logParam(runId: string, key: string, value: string): void {
    const run = this.runs.get(runId)!;
    run.params[key] = value;
    writeTo(join(run.dir, "params", key), value);
  }

  /** A file the run logged with log_artifact (the local artifact repository copies it under artifacts/). */
  logArtifact(runId: string, name: string, bytes: string | Buffer): string {
    const file = join(this.runs.get(runId)!.dir, "artifacts", name);
    writeTo(file, bytes as string);
    return file;
  }

  /**
   * FileStore.log_metric / log_batch: _log_run_metric appends `ts value step` (plus
   * `dataset_name dataset_digest` with a dataset) to the run's file, and with a model id
   * _log_model_metric appends `ts value step run_id [dataset_name dataset_digest]` to the model's.
   */
  logMetric(runId: string, key: string, value: number, ts: number, step: number, options: { modelId?: string; dataset?: [string, string] } = {}): void {
    const run = this.runs.get(runId)!;
    const ds = options.dataset ? ` ${options.dataset[0]} ${options.dataset[1]}` : "";
    const file = join(run.dir, "metrics", key);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, `${ts} ${pyFloat(value)} ${step}${ds}\n`);
    if (!options.modelId) {
      const points = run.metrics.get(key) ?? [];
      points.push({ ts, value, step, ...(options.dataset ? { dataset: options.dataset } : {}) });
      run.metrics.set(key, points);
      return;
    }
    const model = this.models.get(options.modelId)!;
    const mfile = join(model.dir, "metrics", key);
    mkdirSync(dirname(mfile), { recursive: true });
    appendFileSync(mfile, `${ts} ${pyFloat(value)} ${step} ${runId}${ds}\n`);
  }

  /** FileStore.update_run_info → _overwrite_run_info: meta.yaml rewritten with the status int and end time (deleted_time only when deleted). */
  endRun(runId: string, status: 3 | 4 | 5, endTime: number): void {
    const run = this.runs.get(runId)!;
    const { deleted_time: _gone, ...meta } = run.meta;
    run.meta = { ...meta, status, end_time: endTime };
    writeYaml(join(run.dir, "meta.yaml"), run.meta);
  }

  /**
   * FileStore.create_logged_model: `<exp>/models/<id>/meta.yaml` (_make_persisted_model_dict plus
   * lifecycle_stage "active"), status PENDING, metrics/ and params/, then
   * log_logged_model_params and set_logged_model_tags (one file each, no newline).
   */
  createLoggedModel(experimentId: string, id: string, o: { name: string; sourceRunId: string | null; time: number; params?: Record<string, string>; tags?: Record<string, string>; modelType?: string | null }): Mlflow3Model {
    const dir = join(this.experiments.get(experimentId)!, "models", id);
    const model: Mlflow3Model = { id, experimentId, name: o.name, sourceRunId: o.sourceRunId, modelType: o.modelType ?? null, createdAt: o.time, status: "PENDING", dir };
    this.models.set(id, model);
    writeYaml(join(dir, "meta.yaml"), { ...this.modelDict(model, o.time), lifecycle_stage: "active" });
    mkdirSync(join(dir, "metrics"), { recursive: true });
    mkdirSync(join(dir, "params"), { recursive: true });
    for (const [k, v] of Object.entries(o.params ?? {})) writeTo(join(dir, "params", k), v);
    this.setLoggedModelTags(id, o.tags ?? {});
    return model;
  }

  /** FileStore.set_logged_model_tags. */
  setLoggedModelTags(id: string, tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) writeTo(join(this.models.get(id)!.dir, "tags", k), v);
  }

  /** MlflowClient.log_model_artifacts: the files go to the model's artifact_location, `<exp>/models/<id>/artifacts/` (_get_model_artifact_dir). */
  logModelArtifacts(id: string, files: Record<string, string | Buffer>): string[] {
    return Object.entries(files).map(([name, bytes]) => {
      const file = join(this.models.get(id)!.dir, "artifacts", name);
      writeTo(file, bytes as string);
      return file;
    });
  }

  /** FileStore.finalize_logged_model: meta.yaml rewritten from the entity (so without lifecycle_stage) with the status and a new last_updated_timestamp. */
  finalizeLoggedModel(id: string, status: "READY" | "FAILED", time: number): void {
    const model = this.models.get(id)!;
    model.status = status;
    writeYaml(join(model.dir, "meta.yaml"), this.modelDict(model, time));
  }

  /** FileStore.delete_logged_model: meta.yaml rewritten with lifecycle_stage "deleted". */
  deleteLoggedModel(id: string, time: number): void {
    const model = this.models.get(id)!;
    writeYaml(join(model.dir, "meta.yaml"), { ...this.modelDict(model, time), lifecycle_stage: "deleted" });
  }

  /** FileStore.log_outputs: `<run>/outputs/<model id>/meta.yaml` (_FileStoreOutput.write_yaml, destination_id as MLflow writes it). */
  logOutputs(runId: string, modelId: string, step: number): void {
    const file = join(this.runs.get(runId)!.dir, "outputs", modelId, "meta.yaml");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `destination_id: ${modelId}\ndestination_type: MODEL_OUTPUT\nsource_id: ${modelId}\nsource_type: RUN_OUTPUT\nstep: ${step}\ntags: {}\n`);
  }

  /**
   * Model.log for one `mlflow.<flavor>.log_model(name=…)`: _create_logged_model (params: the
   * given ones and the run's, the run's winning), log_outputs, log_model_metrics_for_step (every
   * run metric point at that step logged again with the model id: a second line in the run's file
   * and one in the model's), log_model_artifacts, then the model is finalized READY.
   */
  logModel(id: string, o: { experimentId: string; runId: string | null; name: string; step?: number; time: number; params?: Record<string, string>; tags?: Record<string, string>; modelType?: string; files: Record<string, string | Buffer>; status?: "READY" | "FAILED" }): Mlflow3Model {
    const run = o.runId ? this.runs.get(o.runId)! : null;
    const model = this.createLoggedModel(o.experimentId, id, { name: o.name, sourceRunId: o.runId, time: o.time, params: { ...(o.params ?? {}), ...(run?.params ?? {}) }, tags: o.tags ?? {}, modelType: o.modelType ?? null });
    if (run && o.runId) {
      const step = o.step ?? 0;
      this.logOutputs(o.runId, id, step);
      for (const [key, points] of run.metrics) for (const p of points.filter((q) => q.step === step)) this.logMetric(o.runId, key, p.value, p.ts, p.step, { modelId: id, ...(p.dataset ? { dataset: p.dataset } : {}) });
    }
    this.logModelArtifacts(id, o.files);
    this.finalizeLoggedModel(id, o.status ?? "READY", o.time + 5);
    return model;
  }

  /** Registry FileStore.create_registered_model: `models/<name>/meta.yaml`. */
  createRegisteredModel(name: string, time: number): void {
    writeYaml(join(this.root, "models", name, "meta.yaml"), { creation_timestamp: time, description: null, last_updated_timestamp: time, name });
  }

  /**
   * _register_model("models:/<id>", name) → registry FileStore.create_model_version: source
   * `models:/<id>`, model_id, storage_location = the logged model's artifact_location, run_id =
   * its source_run_id; then the logged model's tag `mlflow.modelVersions` (a JSON list).
   */
  registerLoggedModel(name: string, version: number, modelId: string, time: number, previous: Array<{ name: string; version: string }> = []): void {
    const model = this.models.get(modelId)!;
    writeYaml(join(this.root, "models", name, `version-${version}`, "meta.yaml"), {
      creation_timestamp: time,
      current_stage: "None",
      description: null,
      last_updated_timestamp: time,
      model_id: modelId,
      name,
      run_id: model.sourceRunId,
      run_link: null,
      source: `models:/${modelId}`,
      status: "READY",
      status_message: null,
      storage_location: this.artifactLocation(model),
      user_id: null,
      version,
    });
    this.setLoggedModelTags(modelId, { "mlflow.modelVersions": JSON.stringify([...previous, { name, version: String(version) }]) });
  }

  private artifactLocation(model: Mlflow3Model): string {
    return `${pathToFileURL(this.root).href}/${model.experimentId}/models/${model.id}/artifacts`;
  }

  /** FileStore._make_persisted_model_dict: LoggedModel.to_dictionary() without tags, params, metrics; status as its value. */
  private modelDict(model: Mlflow3Model, updated: number): Yaml {
    return {
      artifact_location: this.artifactLocation(model),
      creation_timestamp: model.createdAt,
      experiment_id: model.experimentId,
      last_updated_timestamp: updated,
      model_id: model.id,
      model_type: model.modelType,
      name: model.name,
      source_run_id: model.sourceRunId,
      status: model.status,
      status_message: null,
    };
  }
}

/** Python's str(float) for the values the tests use (1.0, not 1). */
function pyFloat(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}
