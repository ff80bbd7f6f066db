/**
 * Reads an MLflow file store (checked against MLflow 2.16's FileStore and its file-based model
 * registry; MLflow 3's logged models after its writer's source, in mlflow-models.ts):
 * `<exp>/meta.yaml`, runs' `meta.yaml`, `metrics/<key>` lines of `timestamp value step`,
 * `params/`, `tags/`, `artifacts/`, `.trash/` for deleted experiments, `<exp>/models/` for logged
 * models and the root's `models/` for the registry. Layout and quirks:
 * ../shared/fixtures/mlflow/README.md and docs/migrating.md.
 */
import { readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunStatus } from "../events.js";
import { files, subfolders } from "./runelog-py.js";
import { epochIso, readYaml, type Skip, textFiles } from "./mlflow-files.js";
import { type LoggedModel, type Placement, placeLoggedModels, readLoggedModels } from "./mlflow-models.js";
import { type SourceExperiment, type SourceModel, type SourcePoint, type SourceRun, type SourceStore, type SourceVersion, UnreadableSource } from "../source-store.js";

const KIND = "mlflow";
const STATUS: Record<number, RunStatus> = { 1: "RUNNING", 2: "RUNNING", 3: "FINISHED", 4: "FAILED", 5: "KILLED" };
/** Folders inside an experiment that are not runs (MLflow 2.x `tags`, `datasets`, `traces`; MLflow 3 `models`). */
const NOT_RUNS = new Set(["tags", "datasets", "traces", "models"]);

export async function readMlflow(source: string): Promise<SourceStore> {
  const root = source.startsWith("file:") ? fileURLToPath(source) : source;
  if (!(await stat(root).catch(() => null))?.isDirectory()) throw new UnreadableSource(`${source} is not a folder`);
  const store: SourceStore = { kind: KIND, root: source, dir: root, latestOnly: false, experiments: [], models: [], skipped: [] };
  const skip: Skip = (path, reason) => store.skipped.push({ path: relative(root, path) || ".", reason });
  const active = (await subfolders(root, skip)).filter((d) => d !== ".trash" && d !== "models");
  const trash = join(root, ".trash");
  const deleted = (await stat(trash).catch(() => null))?.isDirectory() ? await subfolders(trash, skip) : [];
  const candidates = [...active.map((id) => ({ dir: join(root, id), id, deleted: false })), ...deleted.map((id) => ({ dir: join(trash, id), id, deleted: true }))];
  const withMeta = await Promise.all(candidates.map(async (c) => (await stat(join(c.dir, "meta.yaml")).catch(() => null)) !== null));
  if (!withMeta.some(Boolean)) throw new UnreadableSource(`${source} is not an MLflow file store: no experiment folder with a meta.yaml in it`);

  const runsById = new Map<string, SourceRun>();
  const loggedModels: LoggedModel[] = [];
  for (const c of candidates) {
    const meta = await readYaml(join(c.dir, "meta.yaml"));
    if (!meta.ok || typeof meta.value.name !== "string") {
      skip(join(c.dir, "meta.yaml"), `${meta.ok ? "no experiment name in it" : meta.reason}: the experiment and its runs are skipped`);
      continue;
    }
    const m = meta.value;
    const experimentId = typeof m.experiment_id === "string" || typeof m.experiment_id === "number" ? String(m.experiment_id) : c.id;
    const exp: SourceExperiment = {
      origin: `${KIND}:${experimentId}`,
      name: m.name as string,
      createdAt: epochIso(m.creation_time),
      deleted: c.deleted || m.lifecycle_stage === "deleted",
      tags: await textFiles(join(c.dir, "tags"), skip),
      runs: [],
    };
    for (const runId of await subfolders(c.dir, skip)) {
      if (NOT_RUNS.has(runId)) {
        if (runId === "models") loggedModels.push(...(await readLoggedModels(join(c.dir, runId), exp, experimentId, root, skip)));
        continue;
      }
      const run = await readRun(join(c.dir, runId), experimentId, runId, skip, root);
      if (run) {
        exp.runs.push(run);
        runsById.set(runId, run);
      }
    }
    // Parents before their children, then by start time.
    exp.runs.sort((a, b) => a.startTime.localeCompare(b.startTime) || a.sourceId.localeCompare(b.sourceId));
    store.experiments.push(exp);
  }
  const placed = placeLoggedModels(loggedModels, runsById, skip);

  const registry = join(root, "models");
  if ((await stat(registry).catch(() => null))?.isDirectory()) {
    for (const name of await subfolders(registry, skip)) {
      const model = await readModel(join(registry, name), runsById, placed, skip);
      if (model) store.models.push(model);
    }
  }
  return store;
}

async function readRun(dir: string, experimentId: string, runId: string, skip: Skip, root: string): Promise<SourceRun | null> {
  const meta = await readYaml(join(dir, "meta.yaml"));
  if (!meta.ok) {
    skip(join(dir, "meta.yaml"), `${meta.reason}: the run is skipped whole`);
    return null;
  }
  const m = meta.value;
  const startTime = epochIso(m.start_time);
  const status = STATUS[Number(m.status)];
  if (!startTime || !status) {
    skip(join(dir, "meta.yaml"), `no readable ${!startTime ? "start_time" : "status"}: the run is skipped whole`);
    return null;
  }
  const tags = await textFiles(join(dir, "tags"), skip);
  if (typeof m.run_name === "string" && m.run_name && tags["mlflow.runName"] === undefined) tags["mlflow.runName"] = m.run_name;
  const parent = tags["mlflow.parentRunId"];
  const run: SourceRun = {
    origin: `${KIND}:${experimentId}/${runId}`,
    sourceId: runId,
    path: relative(root, dir),
    status,
    startTime,
    endTime: status === "RUNNING" ? null : epochIso(m.end_time),
    parentOrigin: parent ? `${KIND}:${experimentId}/${parent}` : null,
    deleted: m.lifecycle_stage === "deleted",
    params: await textFiles(join(dir, "params"), skip),
    tags,
    metrics: {},
    artifacts: (await files(join(dir, "artifacts"), true)).map((name) => ({ name, file: join(dir, "artifacts", name) })),
    git: null,
  };
  for (const key of await files(join(dir, "metrics"), true)) {
    const points = await readMetric(join(dir, "metrics", key), skip);
    if (points) run.metrics[key] = points;
  }
  return run;
}

/**
 * `<timestamp ms> <value> <step>` lines (2 fields in old files: step 0; MLflow 3 adds
 * `<dataset name> <dataset digest>` to a point logged with a dataset, which runelog does not keep).
 */
async function readMetric(file: string, skip: Skip): Promise<SourcePoint[] | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    skip(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? err}): the metric is not imported`);
    return null;
  }
  if (text.length === 0) {
    skip(file, "empty metric file (a writer was killed before it wrote): the metric is not imported");
    return null;
  }
  const lines = text.split("\n");
  const torn = lines.at(-1) !== "";
  if (!torn) lines.pop();
  const points: SourcePoint[] = [];
  for (const [i, line] of lines.entries()) {
    const point = metricLine(line);
    if (point) {
      points.push(point);
    } else if (torn && i === lines.length - 1) {
      skip(file, `line ${i + 1} is cut off (a half-written line): that point is not imported`);
    } else {
      skip(file, `line ${i + 1} is not "timestamp value step": the metric is not imported`);
      return null;
    }
  }
  return points;
}

function metricLine(line: string): SourcePoint | null {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 2 && parts.length !== 3 && parts.length !== 5) return null;
  const timestamp = Number(parts[0]);
  const value = pythonFloat(parts[1]!);
  const step = parts.length === 2 ? 0 : Number(parts[2]);
  if (!Number.isSafeInteger(timestamp) || value === null || !Number.isSafeInteger(step)) return null;
  return { value, step, timestamp };
}

/** Python's float(): also nan, inf, -inf, infinity (any case). */
function pythonFloat(text: string): number | null {
  const t = text.toLowerCase().replace(/^\+/, "");
  if (t === "nan" || t === "-nan") return Number.NaN;
  if (t === "inf" || t === "infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

async function readModel(dir: string, runsById: Map<string, SourceRun>, placed: Map<string, Placement>, skip: Skip): Promise<SourceModel | null> {
  const name = dir.split(/[\\/]/).pop()!;
  const meta = await readYaml(join(dir, "meta.yaml"));
  if (!meta.ok) {
    skip(join(dir, "meta.yaml"), `${meta.reason}: the registered model is skipped`);
    return null;
  }
  const modelName = typeof meta.value.name === "string" ? meta.value.name : name;
  // runelog has no model-level tags: the model's tags and description go onto each version as model.*.
  const modelTags: Record<string, string> = {};
  for (const [k, v] of Object.entries(await textFiles(join(dir, "tags"), skip))) modelTags[`model.${k}`] = v;
  if (typeof meta.value.description === "string" && meta.value.description) modelTags["model.description"] = meta.value.description;
  const model: SourceModel = { name: modelName, versions: [], aliases: {} };
  const folders = (await subfolders(dir, skip)).filter((f) => /^version-\d+$/.test(f)).sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  for (const folder of folders) {
    const vdir = join(dir, folder);
    const vm = await readYaml(join(vdir, "meta.yaml"));
    if (!vm.ok) {
      skip(join(vdir, "meta.yaml"), `${vm.reason}: the version is skipped`);
      continue;
    }
    const v = vm.value;
    if (v.current_stage === "Deleted_Internal") continue; // deleted in MLflow, hidden by MLflow too
    const version = String(v.version ?? folder.slice(8));
    const origin = `${KIND}:models/${modelName}/${version}`;
    const registeredAt = epochIso(v.creation_timestamp);
    const source = typeof v.source === "string" ? v.source : "";
    const modelId = loggedModelId(v.model_id, source);
    const place = modelId === null ? null : (placed.get(modelId) ?? { reason: `its logged model ${modelId} is not in the store or was skipped` });
    const runId = typeof v.run_id === "string" ? v.run_id : "";
    const run = place ? ("run" in place ? place.run : undefined) : runsById.get(runId);
    const where = place ? ("run" in place ? place.folder : null) : artifactPath(source, runId);
    if (!registeredAt || !run || where === null) {
      const why = place && "reason" in place ? place.reason : !run ? `its run ${runId || "(none)"} is not in the store or was skipped` : `its source ${source} is not inside its run's artifacts`;
      skip(vdir, !registeredAt ? "no readable creation_timestamp" : why);
      continue;
    }
    const chosen = pickArtifact(run, where);
    if (typeof chosen === "string") {
      skip(vdir, chosen);
      continue;
    }
    const tags: Record<string, string> = { ...modelTags, ...(await textFiles(join(vdir, "tags"), skip)) };
    if (typeof v.current_stage === "string" && v.current_stage !== "None") tags.stage = v.current_stage;
    if (typeof v.description === "string" && v.description) tags.description = v.description;
    const entry: SourceVersion = { origin, runOrigin: run.origin, sourceRunId: runId || run.sourceId, artifactName: chosen.name, file: chosen.file, registeredAt, tags };
    model.versions.push(entry);
  }
  const aliasDir = join(dir, "aliases");
  for (const [alias, version] of Object.entries(await textFiles(aliasDir, skip))) model.aliases[alias] = `${KIND}:models/${modelName}/${version.trim()}`;
  return model;
}

/**
 * The logged model an MLflow 3 version was made from: its `model_id`, or a source `models:/<id>`
 * (`models:/<name>/<version>` names another version, not a logged model). Null for 2.x sources.
 */
function loggedModelId(modelId: unknown, source: string): string | null {
  if (typeof modelId === "string" && modelId) return modelId;
  const m = /^models:\/([^/]+)\/?$/.exec(source);
  return m ? m[1]! : null;
}

/** The path inside the run's artifacts a version's source names ("" for the whole folder), or null. */
function artifactPath(source: string, runId: string): string | null {
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
  if (runs) return runs[1] === runId ? runs[2]!.replace(/\/+$/, "") : null;
  const marker = `/${runId}/artifacts`;
  const at = source.indexOf(marker);
  if (at < 0) return null;
  return source.slice(at + marker.length).replace(/^\/+|\/+$/g, "");
}

/**
 * A runelog version holds one artifact. A file is itself; a folder is its `MLmodel` (an MLflow
 * model) or its only file; any other folder cannot be a version (the reason is returned).
 */
function pickArtifact(run: SourceRun, path: string): { name: string; file: string } | string {
  const exact = run.artifacts.find((a) => a.name === path);
  if (exact) return exact;
  const inside = run.artifacts.filter((a) => path === "" || a.name.startsWith(`${path}/`));
  const mlmodel = inside.find((a) => a.name === (path ? `${path}/MLmodel` : "MLmodel"));
  if (mlmodel) return mlmodel;
  if (inside.length === 1) return inside[0]!;
  return `its source is a folder of ${inside.length} files without an MLmodel; a runelog version holds one artifact`;
}
