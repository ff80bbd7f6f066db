/**
 * Reads a Python RuneLog (0.2) store: `.mlruns/<exp>/{meta.json,<run>/…}` and `.registry/`.
 * Layout and quirks: ../shared/fixtures/runelog-py/README.md and docs/migrating.md.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import type { GitMeta } from "../events.js";
import { type SourceArtifact, type SourceExperiment, type SourceModel, type SourcePoint, type SourceRun, type SourceStore, UnreadableSource } from "../source-store.js";
import { naiveTime, readPythonJson, tagText } from "./source.js";

/** Run files other than meta.json that RuneLog writes; kept as artifacts under this prefix (git metadata is also read). */
const RUN_FILES = ["source_control.json", "environment.json", "data_meta.json", "dvc_inputs.json", "lineage.json"];
const KIND = "runelog-py";

export async function readRunelogPy(source: string): Promise<SourceStore> {
  let root = source;
  if (basename(source) === ".mlruns") root = join(source, "..");
  const mlruns = join(root, ".mlruns");
  const info = await stat(mlruns).catch(() => null);
  if (!info?.isDirectory()) throw new UnreadableSource(`${source} is not a Python RuneLog store: no .mlruns/ folder in it`);
  const store: SourceStore = { kind: KIND, root: source, dir: root, latestOnly: true, experiments: [], models: [], skipped: [] };
  const skip = (path: string, reason: string) => store.skipped.push({ path: relative(root, path), reason });
  const runsById = new Map<string, SourceRun>();

  for (const expId of await subfolders(mlruns, skip)) {
    const expDir = join(mlruns, expId);
    const meta = await readPythonJson(join(expDir, "meta.json"));
    const name = meta.ok && isObject(meta.value) && typeof meta.value.name === "string" ? meta.value.name : null;
    if (name === null) {
      skip(join(expDir, "meta.json"), meta.ok ? "no experiment name in it" : meta.reason);
      continue;
    }
    const experiment: SourceExperiment = { origin: `${KIND}:${expId}`, name, createdAt: null, deleted: false, tags: {}, runs: [] };
    for (const runId of await subfolders(expDir, skip)) {
      const run = await readRun(join(expDir, runId), expId, runId, skip, root);
      if (run) {
        experiment.runs.push(run);
        runsById.set(runId, run);
      }
    }
    experiment.runs.sort((a, b) => a.startTime.localeCompare(b.startTime));
    store.experiments.push(experiment);
  }

  const registry = join(root, ".registry");
  if ((await stat(registry).catch(() => null))?.isDirectory()) {
    for (const modelName of await subfolders(registry, skip)) {
      const model: SourceModel = { name: modelName, versions: [], aliases: {} };
      const versions = (await subfolders(join(registry, modelName), skip)).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
      for (const version of versions) {
        const dir = join(registry, modelName, version);
        const meta = await readPythonJson(join(dir, "meta.json"));
        if (!meta.ok || !isObject(meta.value)) {
          skip(join(dir, "meta.json"), meta.ok ? "not a JSON object" : meta.reason);
          continue;
        }
        const m = meta.value;
        const file = join(dir, "model.joblib");
        if (!(await stat(file).catch(() => null))?.isFile()) {
          skip(file, "missing: the version has no model file");
          continue;
        }
        const registeredAt = naiveTime(m.registration_timestamp);
        const sourceRunId = typeof m.source_run_id === "string" ? m.source_run_id : "";
        if (!registeredAt) {
          skip(join(dir, "meta.json"), "no readable registration_timestamp");
          continue;
        }
        const tags: Record<string, string> = {};
        if (isObject(m.tags)) for (const [k, v] of Object.entries(m.tags)) tags[k] = tagText(v);
        model.versions.push({
          origin: `${KIND}:models/${modelName}/${version}`,
          runOrigin: runsById.get(sourceRunId)?.origin ?? null,
          sourceRunId,
          artifactName: null,
          file,
          registeredAt,
          tags,
        });
      }
      store.models.push(model);
    }
  }
  return store;
}

async function readRun(dir: string, expId: string, runId: string, skip: (path: string, reason: string) => void, root: string): Promise<SourceRun | null> {
  const meta = await readPythonJson(join(dir, "meta.json"));
  if (!meta.ok || !isObject(meta.value)) {
    skip(join(dir, "meta.json"), `${meta.ok ? "not a JSON object" : meta.reason}: the run is skipped whole`);
    return null;
  }
  const m = meta.value;
  const startTime = naiveTime(m.start_time);
  const status = m.status === "RUNNING" || m.status === "FINISHED" || m.status === "FAILED" || m.status === "KILLED" ? m.status : null;
  if (!startTime || !status) {
    skip(join(dir, "meta.json"), `no readable ${!startTime ? "start_time" : "status"}: the run is skipped whole`);
    return null;
  }
  const endTime = m.end_time == null ? null : naiveTime(m.end_time);
  const run: SourceRun = {
    origin: `${KIND}:${expId}/${runId}`,
    sourceId: runId,
    path: relative(root, dir),
    status,
    startTime,
    endTime: status === "RUNNING" ? null : (endTime ?? startTime),
    parentOrigin: null,
    deleted: false,
    params: {},
    tags: {},
    metrics: {},
    artifacts: [],
    git: null,
  };
  if (isObject(m.tags)) for (const [k, v] of Object.entries(m.tags)) run.tags[k] = tagText(v);

  for (const file of await files(join(dir, "params"))) {
    if (!file.endsWith(".json")) continue;
    const read = await readPythonJson(join(dir, "params", file));
    if (!read.ok || !isObject(read.value) || !("value" in read.value)) skip(join(dir, "params", file), read.ok ? 'no "value" in it' : read.reason);
    else run.params[file.slice(0, -5)] = read.value.value;
  }
  // RuneLog keeps only a metric's latest value: one point, at the run's last known time.
  const at = Date.parse(run.endTime ?? run.startTime);
  for (const file of await files(join(dir, "metrics"))) {
    if (!file.endsWith(".json")) continue;
    const read = await readPythonJson(join(dir, "metrics", file));
    const value = read.ok && isObject(read.value) ? read.value.value : undefined;
    if (typeof value !== "number") skip(join(dir, "metrics", file), read.ok ? "the value is not a number" : read.reason);
    else run.metrics[file.slice(0, -5)] = [{ value, step: 0, timestamp: at } satisfies SourcePoint];
  }
  const artifacts: SourceArtifact[] = [];
  for (const file of await files(join(dir, "artifacts"), true)) artifacts.push({ name: file, file: join(dir, "artifacts", file) });
  for (const file of RUN_FILES) {
    const path = join(dir, file);
    if (!(await stat(path).catch(() => null))?.isFile()) continue;
    const read = await readPythonJson(path);
    if (!read.ok) {
      skip(path, read.reason);
      continue;
    }
    if (file === "source_control.json") run.git = gitMeta(read.value);
    artifacts.push({ name: `runelog-py.${file}`, file: path });
  }
  run.artifacts = artifacts;
  return run;
}

function gitMeta(value: unknown): GitMeta | null {
  if (!isObject(value) || typeof value.commit_hash !== "string") return null;
  return { commit: value.commit_hash, branch: typeof value.branch === "string" ? value.branch : null, dirty: value.is_dirty === true };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sub-folders, numbers in numeric order, the rest by name. */
export async function subfolders(dir: string, skip: (path: string, reason: string) => void): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    skip(dir, `cannot be listed (${(err as NodeJS.ErrnoException).code ?? err})`);
    return [];
  }
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** Files under a folder (recursively when asked), as paths relative to it with "/"; none when it is missing. */
export async function files(dir: string, recursive = false): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isFile()) out.push(rel);
      else if (e.isDirectory() && recursive) await walk(rel);
    }
  };
  await walk("");
  return out;
}
