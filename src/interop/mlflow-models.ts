/**
 * MLflow 3 logged models, as MLflow 3's tracking FileStore writes them (create_logged_model,
 * log_logged_model_params, set_logged_model_tags, finalize_logged_model, delete_logged_model,
 * _log_model_metric) and Model.log fills them (log_model_artifacts): one folder per model in its
 * experiment, `<experiment>/models/<model id>/` with `meta.yaml` (model_id, experiment_id, name,
 * artifact_location, creation_timestamp, last_updated_timestamp, source_run_id, status, model_type,
 * status_message, lifecycle_stage), `params/<key>`, `tags/<key>`, `metrics/<key>` and the model's
 * files in `artifacts/`. What becomes what: docs/migrating.md.
 *
 * A model logged from a run goes into that run: its files in a folder named after the model, its
 * id, status, type, and the params and tags the run does not already carry as run tags
 * `mlflow.loggedModel.<folder>.*`. A model without a source run becomes a run of its own. The
 * model's metrics are not read: MLflow writes every one of them into the logging run's metric file
 * too (log_metric and log_batch call _log_run_metric and _log_model_metric), so they come with
 * that run.
 */
import { join, relative } from "node:path";
import type { RunStatus } from "../events.js";
import type { SourceArtifact, SourceExperiment, SourceRun } from "../source-store.js";
import { epochIso, readYaml, type Skip, textFiles } from "./mlflow-files.js";
import { files, subfolders } from "./runelog-py.js";

const KIND = "mlflow";
/** LoggedModelStatus → the status of a run made of a model without a source run. */
const STATUS: Record<string, RunStatus> = { READY: "FINISHED", UNSPECIFIED: "FINISHED", FAILED: "FAILED", PENDING: "RUNNING" };

export interface LoggedModel {
  id: string;
  experimentId: string;
  name: string;
  /** The model's folder, and the same relative to the source. */
  dir: string;
  path: string;
  sourceRunId: string | null;
  /** READY, PENDING, FAILED or UNSPECIFIED. */
  status: string;
  modelType: string | null;
  createdAt: string;
  updatedAt: string | null;
  deleted: boolean;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Names relative to the model's `artifacts/`. */
  artifacts: SourceArtifact[];
  /** The experiment the model belongs to (where a run of its own goes). */
  experiment: SourceExperiment;
}

/** Where a logged model's files were put (the run holding them, their folder in it), or why nowhere. */
export type Placement = { run: SourceRun; folder: string } | { reason: string };

/** The logged models in an experiment's `models/` folder; a damaged one is listed in `skip` and left out. */
export async function readLoggedModels(dir: string, experiment: SourceExperiment, experimentId: string, root: string, skip: Skip): Promise<LoggedModel[]> {
  const out: LoggedModel[] = [];
  for (const id of await subfolders(dir, skip)) {
    const mdir = join(dir, id);
    const meta = await readYaml(join(mdir, "meta.yaml"));
    if (!meta.ok) {
      skip(join(mdir, "meta.yaml"), `${meta.reason}: the logged model is skipped`);
      continue;
    }
    const m = meta.value;
    const createdAt = epochIso(m.creation_timestamp);
    const problem =
      typeof m.model_id !== "string" || !m.model_id
        ? "no model_id in it"
        : typeof m.name !== "string" || !m.name
          ? "no name in it"
          : String(m.experiment_id) !== experimentId
            ? `it names experiment ${String(m.experiment_id)}, not ${experimentId} (MLflow ignores it too)`
            : !createdAt
              ? "no readable creation_timestamp"
              : null;
    if (problem) {
      skip(join(mdir, "meta.yaml"), `${problem}: the logged model is skipped`);
      continue;
    }
    const status = String(m.status ?? "UNSPECIFIED").replace(/^LoggedModelStatus\./, ""); // str() of the enum before MLflow gave it __str__
    const adir = join(mdir, "artifacts");
    out.push({
      id: m.model_id as string,
      experimentId,
      name: m.name as string,
      dir: mdir,
      path: relative(root, mdir),
      sourceRunId: typeof m.source_run_id === "string" && m.source_run_id ? m.source_run_id : null,
      status,
      modelType: typeof m.model_type === "string" && m.model_type ? m.model_type : null,
      createdAt: createdAt!,
      updatedAt: epochIso(m.last_updated_timestamp),
      deleted: m.lifecycle_stage === "deleted",
      params: await textFiles(join(mdir, "params"), skip),
      tags: await textFiles(join(mdir, "tags"), skip),
      artifacts: (await files(adir, true)).map((name) => ({ name, file: join(adir, name) })),
      experiment,
    });
  }
  return out;
}

/**
 * Puts each logged model into its source run (or a run of its own) and says where, by model id.
 * Models are placed in creation order, so a model keeps its folder when the source grows.
 */
export function placeLoggedModels(models: LoggedModel[], runsById: Map<string, SourceRun>, skip: Skip): Map<string, Placement> {
  const placed = new Map<string, Placement>();
  const taken = new Map<SourceRun, Set<string>>();
  const ordered = [...models].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  for (const model of ordered) {
    if (model.sourceRunId === null) {
      const run = ownRun(model);
      model.experiment.runs.push(run);
      placed.set(model.id, { run, folder: model.name });
      continue;
    }
    if (model.deleted) {
      placed.set(model.id, { reason: `its logged model ${model.id} was deleted in MLflow` });
      continue; // hidden by MLflow; its files are not kept, as a deleted run's are not
    }
    const run = runsById.get(model.sourceRunId);
    if (!run) {
      const reason = `its source run ${model.sourceRunId} is not in the store or was skipped`;
      skip(model.dir, `${reason}: the logged model is skipped`);
      placed.set(model.id, { reason });
      continue;
    }
    let names = taken.get(run);
    if (!names) taken.set(run, (names = new Set(run.artifacts.map((a) => a.name.split("/")[0]!))));
    const folder = names.has(model.name) ? `${model.name}-${model.id}` : model.name;
    names.add(folder);
    for (const a of model.artifacts) run.artifacts.push({ name: `${folder}/${a.name}`, file: a.file });
    Object.assign(run.tags, modelTags(model, folder, run));
    placed.set(model.id, { run, folder });
  }
  for (const exp of new Set(ordered.filter((m) => m.sourceRunId === null).map((m) => m.experiment))) {
    exp.runs.sort((a, b) => a.startTime.localeCompare(b.startTime) || a.sourceId.localeCompare(b.sourceId));
  }
  return placed;
}

/** A model without a source run: a run of its own, named after the model, holding its files, params and tags. */
function ownRun(model: LoggedModel): SourceRun {
  const status = STATUS[model.status] ?? "FINISHED";
  const tags: Record<string, string> = { "mlflow.runName": model.name, ...model.tags, ...modelTags(model, model.name, null) };
  return {
    origin: `${KIND}:${model.experimentId}/${model.id}`,
    sourceId: model.id,
    path: model.path,
    status,
    startTime: model.createdAt,
    endTime: status === "RUNNING" ? null : model.updatedAt,
    parentOrigin: null,
    deleted: model.deleted,
    params: { ...model.params },
    tags,
    metrics: {},
    artifacts: model.artifacts.map((a) => ({ name: `${model.name}/${a.name}`, file: a.file })),
    git: null,
  };
}

/** The run tags naming a logged model; with a run, also the model's params and tags that the run does not carry (Model.log copies the run's params and context tags onto the model). */
function modelTags(model: LoggedModel, folder: string, run: SourceRun | null): Record<string, string> {
  const prefix = `mlflow.loggedModel.${folder}.`;
  const out: Record<string, string> = { [`${prefix}id`]: model.id, [`${prefix}status`]: model.status };
  if (model.modelType) out[`${prefix}type`] = model.modelType;
  if (!run) return out;
  for (const [k, v] of Object.entries(model.params)) if (run.params[k] !== v) out[`${prefix}param.${k}`] = v;
  for (const [k, v] of Object.entries(model.tags)) if (run.tags[k] !== v) out[`${prefix}tag.${k}`] = v;
  return out;
}
