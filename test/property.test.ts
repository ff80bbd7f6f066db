/**
 * Properties over random sequences of API calls:
 * 1. a real tracker (temp dir) answers every read exactly like a small in-memory model of the API;
 * 2. replaying any prefix of the journals (copied into a fresh store) reproduces the views the live
 *    tracker gave at that point.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { type ActiveRun, RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";

jest.setTimeout(120_000);

// ------------------------------------------------------------------ operations

const EXP_NAMES = ["alpha", "beta", "Default", "gamma"] as const;
const EXP_IDS = ["0", "1", "2", "3", "9"] as const;
const PARAM_KEYS = ["lr", "layers", "x.y", "ünï code", "opt"] as const;
const METRIC_KEYS = ["loss", "acc", "a b"] as const;
const TAG_KEYS = ["phase", "note"] as const;
const MODEL_NAMES = ["netA", "netB"] as const;
const ARTIFACTS = ["m1.json", "m2.bin"] as const;
const STATUSES = ["FINISHED", "FAILED", "KILLED"] as const;

type Op =
  | { kind: "createExp"; name: string }
  | { kind: "deleteExp"; target: string }
  | { kind: "startRun"; byName: string | null; byId: string; tags: Record<string, string> }
  | { kind: "end"; run: number; status: (typeof STATUSES)[number] | undefined }
  | { kind: "param"; run: number; key: string; value: unknown }
  | { kind: "params"; run: number; params: Record<string, unknown> }
  | { kind: "metric"; run: number; key: string; value: number; step: number | undefined; ts: number }
  | { kind: "metrics"; run: number; metrics: Record<string, number>; step: number; ts: number }
  | { kind: "tags"; run: number; tags: Record<string, string> }
  | { kind: "deleteRun"; run: number }
  | { kind: "logModel"; run: number; name: string; payload: number }
  | { kind: "register"; run: number; artifact: string; model: string; tags: Record<string, string> }
  | { kind: "alias"; model: string; alias: string; version: string };

// -0 is left out of params on purpose: params are JSON, and JSON has no -0 (metrics keep it, below).
const jsonLeaf = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
);
const jsonValue = fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 }), fc.dictionary(fc.constantFrom("k", "j"), jsonLeaf, { maxKeys: 2 }));
const metricValue = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1.5),
  fc.integer({ min: -5, max: 5 }),
);
const tagRecord = fc.dictionary(fc.constantFrom(...TAG_KEYS), fc.string({ maxLength: 5 }), { maxKeys: 2 });
const runRef = fc.nat({ max: 20 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("createExp" as const), name: fc.constantFrom(...EXP_NAMES) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("deleteExp" as const), target: fc.constantFrom(...EXP_NAMES, ...EXP_IDS) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("startRun" as const),
      byName: fc.option(fc.constantFrom(...EXP_NAMES), { nil: null }),
      byId: fc.constantFrom(...EXP_IDS),
      tags: tagRecord,
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("end" as const), run: runRef, status: fc.option(fc.constantFrom(...STATUSES), { nil: undefined }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("param" as const), run: runRef, key: fc.constantFrom(...PARAM_KEYS), value: jsonValue }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("params" as const), run: runRef, params: fc.dictionary(fc.constantFrom(...PARAM_KEYS), jsonValue, { maxKeys: 3 }) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("metric" as const),
      run: runRef,
      key: fc.constantFrom(...METRIC_KEYS),
      value: metricValue,
      step: fc.option(fc.integer({ min: -2, max: 3 }), { nil: undefined }),
      ts: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("metrics" as const),
      run: runRef,
      metrics: fc.dictionary(fc.constantFrom(...METRIC_KEYS), metricValue, { maxKeys: 3 }),
      step: fc.integer({ min: 0, max: 3 }),
      ts: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant("tags" as const), run: runRef, tags: tagRecord }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("deleteRun" as const), run: runRef }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("logModel" as const), run: runRef, name: fc.constantFrom(...ARTIFACTS), payload: fc.integer({ min: 0, max: 2 }) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      run: runRef,
      artifact: fc.constantFrom(...ARTIFACTS),
      model: fc.constantFrom(...MODEL_NAMES),
      tags: fc.dictionary(fc.constantFrom("stage"), fc.constantFrom("dev", "prod"), { maxKeys: 1 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("alias" as const),
      model: fc.constantFrom(...MODEL_NAMES),
      alias: fc.constantFrom("champion", "canary"),
      version: fc.constantFrom("1", "2", "3"),
    }),
    weight: 1,
  },
);

// ------------------------------------------------------------------ the model

interface MPoint {
  value: number;
  step: number;
  timestamp: number;
}
interface MRun {
  runId: string;
  experimentId: string;
  status: string;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  history: Map<string, MPoint[]>;
  artifacts: string[];
  deleted: boolean;
}
interface MExp {
  experimentId: string;
  name: string;
  deleted: boolean;
}
interface MVersion {
  version: string;
  sourceRunId: string;
  artifactName: string;
  tags: Record<string, string>;
}
interface MModel {
  versions: MVersion[];
  aliases: Map<string, string>;
}

class Model {
  exps: MExp[] = [{ experimentId: "0", name: "Default", deleted: false }];
  runs: MRun[] = [];
  models = new Map<string, MModel>();

  live(): MExp[] {
    return this.exps.filter((e) => !e.deleted);
  }
  findExp(nameOrId: string, by: "id" | "name" | "either"): MExp | undefined {
    const live = this.live();
    if (by !== "name") {
      const hit = live.find((e) => e.experimentId === nameOrId);
      if (hit || by === "id") return hit;
    }
    return live.find((e) => e.name === nameOrId);
  }
  getOrCreate(name: string): string {
    const hit = this.findExp(name, "name");
    if (hit) return hit.experimentId;
    const experimentId = String(this.exps.length); // ids 0, 1, 2 … never reused
    this.exps.push({ experimentId, name, deleted: false });
    return experimentId;
  }
  /** A run the views show: not deleted and in a live experiment. */
  visible(run: MRun): boolean {
    return !run.deleted && this.findExp(run.experimentId, "id") !== undefined;
  }
  latest(run: MRun): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, points] of run.history) {
      let best: MPoint | undefined;
      for (const p of points) if (!best || p.step > best.step || (p.step === best.step && p.timestamp >= best.timestamp)) best = p;
      if (best) out[key] = best.value;
    }
    return out;
  }
}

// ------------------------------------------------------------------ running ops against both

interface World {
  tracker: RuneLog;
  model: Model;
  handles: ActiveRun[];
  modelRuns: MRun[];
}

const errName = (e: unknown) => (e instanceof Error ? e.name : String(e));

/** Applies `op` to the tracker and the model; returns both outcomes ("ok" or an error class name). */
async function apply(w: World, op: Op): Promise<{ real: string; expected: string }> {
  const { tracker, model } = w;
  const pick = (i: number) => (w.handles.length === 0 ? null : { handle: w.handles[i % w.handles.length]!, m: w.modelRuns[i % w.modelRuns.length]! });
  const attempt = async (f: () => Promise<unknown>) => {
    try {
      await f();
      return "ok";
    } catch (e) {
      return errName(e);
    }
  };
  switch (op.kind) {
    case "createExp": {
      let id = "";
      const real = await attempt(async () => (id = await tracker.getOrCreateExperiment(op.name)));
      const expectedId = model.getOrCreate(op.name);
      return { real: `${real}:${id}`, expected: `ok:${expectedId}` };
    }
    case "deleteExp": {
      const real = await attempt(() => tracker.deleteExperiment(op.target));
      const hit = model.findExp(op.target, "either");
      let expected = "ok";
      if (!hit) expected = "ExperimentNotFound";
      else if (hit.experimentId === "0") expected = "InvalidInput";
      else hit.deleted = true;
      return { real, expected };
    }
    case "startRun": {
      const options = { logCode: false, logGitMeta: false, tags: op.tags, ...(op.byName !== null ? { experimentName: op.byName } : { experimentId: op.byId }) };
      let handle: ActiveRun | undefined;
      const real = await attempt(async () => (handle = await tracker.startRun(options)));
      let expected = "ok";
      let expId: string | undefined;
      if (op.byName !== null) expId = model.getOrCreate(op.byName);
      else expId = model.findExp(op.byId, "id")?.experimentId;
      if (expId === undefined) expected = "ExperimentNotFound";
      if (handle && expId !== undefined) {
        const m: MRun = { runId: handle.runId, experimentId: expId, status: "RUNNING", params: {}, tags: { ...op.tags }, history: new Map(), artifacts: [], deleted: false };
        model.runs.push(m);
        w.handles.push(handle);
        w.modelRuns.push(m);
        return { real: `${real}:${handle.experimentId}`, expected: `${expected}:${expId}` };
      }
      return { real, expected };
    }
    case "end": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => r.handle.end(op.status));
      r.m.status = op.status ?? "FINISHED";
      return { real, expected: "ok" };
    }
    case "param": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => r.handle.logParam(op.key, op.value));
      r.m.params[op.key] = structuredClone(op.value);
      return { real, expected: "ok" };
    }
    case "params": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => r.handle.logParams(op.params));
      Object.assign(r.m.params, structuredClone(op.params));
      return { real, expected: "ok" };
    }
    case "metric": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => r.handle.logMetric(op.key, op.value, { ...(op.step !== undefined ? { step: op.step } : {}), timestamp: op.ts }));
      push(r.m, op.key, { value: op.value, step: op.step ?? 0, timestamp: op.ts });
      return { real, expected: "ok" };
    }
    case "metrics": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => r.handle.logMetrics(op.metrics, { step: op.step, timestamp: op.ts }));
      for (const [k, v] of Object.entries(op.metrics)) push(r.m, k, { value: v, step: op.step, timestamp: op.ts });
      return { real, expected: "ok" };
    }
    case "tags": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => r.handle.setTags(op.tags));
      Object.assign(r.m.tags, op.tags);
      return { real, expected: "ok" };
    }
    case "deleteRun": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const real = await attempt(() => tracker.deleteRun(r.m.runId));
      const expected = model.visible(r.m) ? "ok" : "RunNotFound";
      if (expected === "ok") r.m.deleted = true;
      return { real, expected };
    }
    case "logModel": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      const payload = op.name.endsWith(".bin") ? new Uint8Array([op.payload, 1, 2]) : { w: op.payload };
      const real = await attempt(() => r.handle.logModel(payload, op.name, { compress: op.payload }));
      // Into a deleted run (or one of a deleted experiment): refused, its bytes released (issue 8).
      if (!model.visible(r.m)) return { real, expected: "RunNotFound" };
      if (!r.m.artifacts.includes(op.name)) r.m.artifacts.push(op.name);
      return { real, expected: "ok" };
    }
    case "register": {
      const r = pick(op.run);
      if (!r) return { real: "skip", expected: "skip" };
      let version = "";
      const real = await attempt(async () => (version = await tracker.registerModel(r.m.runId, op.artifact, op.model, op.tags)));
      if (!model.visible(r.m)) return { real, expected: "RunNotFound" };
      if (!r.m.artifacts.includes(op.artifact)) return { real, expected: "ArtifactNotFound" };
      let m = model.models.get(op.model);
      if (!m) model.models.set(op.model, (m = { versions: [], aliases: new Map() }));
      const expectedVersion = String(m.versions.length + 1);
      m.versions.push({ version: expectedVersion, sourceRunId: r.m.runId, artifactName: op.artifact, tags: { ...op.tags } });
      return { real: `${real}:${version}`, expected: `ok:${expectedVersion}` };
    }
    case "alias": {
      const real = await attempt(() => tracker.setModelAlias(op.model, op.alias, op.version));
      const m = model.models.get(op.model);
      if (!m || !m.versions.some((v) => v.version === op.version)) return { real, expected: "ModelVersionNotFound" };
      m.aliases.set(op.alias, op.version);
      return { real, expected: "ok" };
    }
  }
}

function push(run: MRun, key: string, p: MPoint): void {
  const list = run.history.get(key) ?? [];
  list.push(p);
  run.history.set(key, list);
}

// ------------------------------------------------------------------ views

/** Everything a reader can see, for a set of run ids and model names, as plain data. */
async function views(tracker: RuneLog, runIds: readonly string[], modelNames: readonly string[]) {
  const experiments = await tracker.listExperiments();
  const perExperiment = [];
  for (const e of experiments) {
    const table = await tracker.loadResults(e.experimentId);
    perExperiment.push({
      experimentId: e.experimentId,
      runs: await tracker.getExperimentRuns(e.experimentId),
      columns: table.columnNames(),
      rows: table.objects(),
    });
  }
  const runs = [];
  for (const id of runIds) runs.push({ id, run: await tracker.getRun(id), details: await tracker.getRunDetails(id) });
  const registry = [];
  for (const name of modelNames) registry.push({ name, versions: await tracker.getModelVersions(name) });
  return {
    experiments,
    summaries: await tracker.getExperimentSummaries(),
    perExperiment,
    runs,
    registry,
    registered: await tracker.listRegisteredModels(),
  };
}
type Views = Awaited<ReturnType<typeof views>>;

/** What the model says the views should be, with every clock reading left out. */
function modelViews(model: Model, runIds: readonly string[], modelNames: readonly string[]) {
  const runView = (r: MRun) => ({ runId: r.runId, experimentId: r.experimentId, status: r.status, params: r.params, metrics: model.latest(r), tags: r.tags });
  const byId = new Map(model.runs.map((r) => [r.runId, r]));
  return {
    experiments: model.live().map((e) => ({ experimentId: e.experimentId, name: e.name })),
    summaries: model.live().map((e) => ({ experimentId: e.experimentId, name: e.name, numRuns: model.runs.filter((r) => r.experimentId === e.experimentId && model.visible(r)).length })),
    perExperiment: model.live().map((e) => {
      const runs = model.runs.filter((r) => r.experimentId === e.experimentId && model.visible(r));
      const groups = { params: new Set<string>(), metrics: new Set<string>(), tags: new Set<string>() };
      for (const r of runs) {
        for (const k of Object.keys(r.params)) groups.params.add(k);
        for (const k of Object.keys(model.latest(r))) groups.metrics.add(k);
        for (const k of Object.keys(r.tags)) groups.tags.add(k);
      }
      const columns = ["runId", "experimentId", "status", "startTime", "endTime"];
      for (const g of ["params", "metrics", "tags"] as const) for (const k of [...groups[g]].sort()) columns.push(`${g}.${k}`);
      const rows = runs.map((r) => {
        const row: Record<string, unknown> = { runId: r.runId, experimentId: r.experimentId, status: r.status };
        const v = runView(r);
        for (const c of columns.slice(5)) {
          const dot = c.indexOf(".");
          const value = (v[c.slice(0, dot) as "params" | "metrics" | "tags"] as Record<string, unknown>)[c.slice(dot + 1)];
          row[c] = value === undefined ? null : value;
        }
        return row;
      });
      return { experimentId: e.experimentId, runs: runs.map((r) => ({ runId: r.runId, experimentId: r.experimentId, status: r.status })), columns, rows };
    }),
    runs: runIds.map((id) => {
      const r = byId.get(id);
      if (!r || !model.visible(r)) return { id, run: null, details: null };
      return {
        id,
        run: runView(r),
        details: { ...runView(r), artifacts: r.artifacts, metricHistory: Object.fromEntries(r.history), git: null, env: null },
      };
    }),
    registry: modelNames.map((name) => {
      const m = model.models.get(name);
      const versions = m ? [...m.versions].reverse() : [];
      return {
        name,
        versions: versions.map((v) => ({
          modelName: name,
          version: v.version,
          sourceRunId: v.sourceRunId,
          artifactName: v.artifactName,
          tags: v.tags,
          aliases: m ? [...m.aliases].filter(([, ver]) => ver === v.version).map(([a]) => a).sort() : [],
        })),
      };
    }),
    registered: [...model.models.keys()].sort(),
  };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Drops clock readings (checking their shape on the way) so a view compares with the model. */
function withoutTimes(v: Views) {
  const run = <T extends { startTime: string; endTime: string | null; status: string }>(r: T) => {
    const { startTime, endTime, ...rest } = r;
    expect(startTime).toMatch(ISO);
    if (r.status === "RUNNING") expect(endTime).toBeNull();
    else expect(endTime).toMatch(ISO);
    return rest;
  };
  return {
    experiments: v.experiments.map(({ createdAt, ...e }) => (expect(createdAt).toMatch(ISO), e)),
    summaries: v.summaries.map(({ createdAt, lastRun, ...s }) => {
      expect(createdAt).toMatch(ISO);
      if (s.numRuns === 0) expect(lastRun).toBeNull();
      else expect(lastRun).toMatch(ISO);
      return s;
    }),
    perExperiment: v.perExperiment.map((e) => ({
      experimentId: e.experimentId,
      runs: e.runs.map(run),
      columns: e.columns,
      rows: e.rows.map((r) => run(r as { startTime: string; endTime: string | null; status: string })),
    })),
    // parentRunId is left out: which explicit-handle runs count as nested is not this property's business.
    runs: v.runs.map((r) => ({ id: r.id, run: r.run && run(r.run), details: r.details && (({ parentRunId: _p, ...d }) => run(d))(r.details) })),
    registry: v.registry.map((m) => ({ name: m.name, versions: m.versions.map(({ registeredAt, ...rest }) => (expect(registeredAt).toMatch(ISO), rest)) })),
    registered: v.registered,
  };
}

// ------------------------------------------------------------------ journals

function journalFiles(dir: string): string[] {
  const root = join(dir, ".runelog");
  const files: string[] = [];
  for (const name of ["catalog.ndjson", "registry.ndjson"]) if (existsSync(join(root, name))) files.push(name);
  const expDir = join(root, "experiments");
  if (existsSync(expDir)) for (const name of readdirSync(expDir).filter((n) => n.endsWith(".ndjson"))) files.push(join("experiments", name));
  return files;
}
function lineCounts(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of journalFiles(dir)) out[f] = readFileSync(join(dir, ".runelog", f)).toString("latin1").split("\n").length - 1;
  return out;
}
/** A new store holding the first `counts[f]` lines of each journal of `dir`. */
function copyPrefix(dir: string, counts: Record<string, number>, into: string): void {
  for (const [f, n] of Object.entries(counts)) {
    const bytes = readFileSync(join(dir, ".runelog", f));
    let end = 0;
    for (let i = 0; i < n; i++) end = bytes.indexOf(10, end) + 1;
    mkdirSync(join(into, ".runelog", "experiments"), { recursive: true });
    writeFileSync(join(into, ".runelog", f), bytes.subarray(0, end));
  }
}

// ------------------------------------------------------------------ properties

const opsArb = fc.array(opArb, { minLength: 1, maxLength: 30 });

test("property: the tracker's views equal an in-memory model of the API after any sequence of calls", async () => {
  await fc.assert(
    fc.asyncProperty(opsArb, async (ops) => {
      const dir = tempDir("runelog-prop-");
      try {
        const w: World = { tracker: new RuneLog(dir), model: new Model(), handles: [], modelRuns: [] };
        for (const op of ops) {
          const { real, expected } = await apply(w, op);
          expect({ op, outcome: real }).toEqual({ op, outcome: expected });
        }
        const runIds = w.modelRuns.map((r) => r.runId);
        const modelNames = [...MODEL_NAMES];
        const expected = modelViews(w.model, runIds, modelNames);
        expect(withoutTimes(await views(w.tracker, runIds, modelNames))).toEqual(expected);
        // A second tracker that reads the store cold agrees with the one that wrote it.
        expect(withoutTimes(await views(new RuneLog(dir), runIds, modelNames))).toEqual(expected);
      } finally {
        removeDir(dir);
      }
    }),
    { numRuns: 40 },
  );
});

test("property: replaying any prefix of the journals reproduces the views the tracker had at that point", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), async (ops) => {
      const dir = tempDir("runelog-prefix-");
      const scratch: string[] = [];
      try {
        const w: World = { tracker: new RuneLog(dir), model: new Model(), handles: [], modelRuns: [] };
        const checkpoints: Array<{ counts: Record<string, number>; seen: Views; runIds: string[] }> = [];
        for (const op of ops) {
          await apply(w, op);
          const runIds = w.modelRuns.map((r) => r.runId);
          const seen = await views(w.tracker, runIds, MODEL_NAMES); // may write the Default experiment: count after
          checkpoints.push({ counts: lineCounts(dir), seen, runIds });
        }
        for (const [k, { counts, seen, runIds }] of checkpoints.entries()) {
          const fresh = tempDir("runelog-prefix-copy-");
          scratch.push(fresh);
          copyPrefix(dir, counts, fresh);
          const replayed = await views(new RuneLog(fresh), runIds, MODEL_NAMES);
          expect({ afterOp: k, view: replayed }).toEqual({ afterOp: k, view: seen });
        }
      } finally {
        removeDir(dir);
        for (const d of scratch) removeDir(d);
      }
    }),
    { numRuns: 30 },
  );
});

// ------------------------------------------------------------------ names that are Object.prototype members
// Found while writing the model above: projections and the tracker look names up in plain `{}`
// objects, so a name like "constructor" finds Object.prototype's member instead of nothing.

describe("names that are Object.prototype members behave like any other name", () => {
  let dir: string;
  let tracker: RuneLog;
  let run: ActiveRun;
  beforeEach(async () => {
    dir = tempDir("runelog-proto-");
    tracker = new RuneLog(dir);
    run = await tracker.startRun({ experimentName: "proto", logCode: false, logGitMeta: false });
    await run.logModel({ w: 1 }, "model.json");
  });
  afterEach(() => removeDir(dir));

  const registryBytes = () => (existsSync(join(dir, ".runelog", "registry.ndjson")) ? readFileSync(join(dir, ".runelog", "registry.ndjson")).toString("base64") : "");

  test("an artifact the run never logged is ArtifactNotFound, also when named like a prototype member", async () => {
    await expect(tracker.registerModel(run.runId, "constructor", "plain")).rejects.toMatchObject({ name: "ArtifactNotFound" });
    await expect(tracker.getArtifactAbspath(run.runId, "toString")).rejects.toMatchObject({ name: "ArtifactNotFound" });
  });

  test("a model named like a prototype member registers, lists and loads; the registry stays readable", async () => {
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      await expect(tracker.registerModel(run.runId, "model.json", name)).resolves.toBe("1");
      expect((await tracker.getModelVersions(name)).map((v) => v.version)).toEqual(["1"]);
    }
    const fresh = new RuneLog(dir);
    expect(await fresh.listRegisteredModels()).toEqual(["constructor", "hasOwnProperty", "toString"]);
    expect(await fresh.loadRegisteredModel("constructor")).toEqual({ w: 1 });
  });

  test("a version named like a prototype member is ModelVersionNotFound, writes nothing, and leaves the registry readable", async () => {
    await tracker.registerModel(run.runId, "model.json", "plain");
    const before = registryBytes();
    await expect(tracker.getModelTags("plain", "constructor")).rejects.toMatchObject({ name: "ModelVersionNotFound" });
    await expect(tracker.addModelTags("plain", "constructor", { a: "b" })).rejects.toMatchObject({ name: "ModelVersionNotFound" });
    expect(registryBytes()).toBe(before);
    expect((await new RuneLog(dir).getModelVersions("plain")).map((v) => v.version)).toEqual(["1"]);
  });

  test("deleting an alias that was never set is ModelVersionNotFound, also when named like a prototype member", async () => {
    await tracker.registerModel(run.runId, "model.json", "plain");
    const before = registryBytes();
    await expect(tracker.deleteModelAlias("plain", "constructor")).rejects.toMatchObject({ name: "ModelVersionNotFound" });
    expect(registryBytes()).toBe(before);
  });
});
