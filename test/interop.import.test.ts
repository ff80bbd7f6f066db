/**
 * tracker.importStore and `runelog import`, on stores written by the real programs
 * (test/fixtures/runelog-py, test/fixtures/mlflow; see their READMEs): what runelog shows after an
 * import equals what the source program itself reads back (each fixture's expected.json); a second
 * import appends nothing; a grown source adds only what is new; every kind of damage is listed.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, appendFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { RuneLog, type ImportReport, type JournalEvent } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { removeDir, tempDir } from "./helpers/store.js";

const FIXTURES = resolve(__dirname, "fixtures");
const PY = join(FIXTURES, "runelog-py");
const MLFLOW = join(FIXTURES, "mlflow");
const pyExpected = JSON.parse(readFileSync(join(PY, "expected.json"), "utf8"));
const mlExpected = JSON.parse(readFileSync(join(MLFLOW, "expected.json"), "utf8"));

/** expected.json writes NaN and ±Infinity as strings. */
function num(v: unknown): unknown {
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return v;
}
const decode = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, num(v)]));
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
/** Python RuneLog's naive times are UTC (the fixtures were written with TZ=UTC). */
const pyTime = (t: string | null) => (t === null ? null : new Date(`${t}Z`).toISOString());
const msTime = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const tagText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

let work: string;
beforeEach(() => {
  work = tempDir("runelog-import-");
});
afterEach(() => removeDir(work));

/** A copy of a fixture store (never the fixture itself); MLflow's empty folders recreated as its README says. */
function copyStore(kind: "runelog-py" | "mlflow", name: string): string {
  const to = join(work, `${kind}-${name}`);
  cpSync(join(kind === "mlflow" ? MLFLOW : PY, name), to, { recursive: true });
  if (kind === "mlflow") for (const folder of mlExpected.stores[name].empty_folders as string[]) mkdirSync(join(to, folder), { recursive: true });
  return to;
}

/** The fixture copy is byte for byte what the program wrote (its README's tree_sha256). */
function treeSha256(root: string): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else lines.push(`${sha256(p)}  ${relative(root, p)}\n`);
    }
  };
  walk(root);
  lines.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  return createHash("sha256").update(lines.join("")).digest("hex");
}

async function importInto(from: "runelog-py" | "mlflow", source: string, dir = join(work, "target")): Promise<{ tracker: RuneLog; report: ImportReport }> {
  const tracker = new RuneLog(dir);
  return { tracker, report: await tracker.importStore({ from, source }) };
}

async function allEvents(tracker: RuneLog): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of tracker.events()) out.push(e);
  return out;
}

type Row = Record<string, unknown>;
async function rowsByOrigin(tracker: RuneLog, experiment: string): Promise<Map<string, Row>> {
  const table = await tracker.loadResults(experiment);
  return new Map((table.objects() as Row[]).map((r) => [r["tags.import.source"] as string, r]));
}

function pick(row: Row, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith(prefix) && v !== undefined && v !== null) out[k.slice(prefix.length)] = v;
  return out;
}

describe("import runelog-py", () => {
  test("the clean store: every run, param, latest metric, artifact byte and registered version as Python RuneLog reads them", async () => {
    const source = copyStore("runelog-py", "clean");
    expect(treeSha256(source)).toBe(pyExpected.stores.clean.files.tree_sha256);
    const { tracker, report } = await importInto("runelog-py", source);
    expect(report.skipped).toEqual([]);
    expect(report).toMatchObject({ experiments: 4, runs: 12, versions: 5, models: 2 });

    let runs = 0;
    for (const exp of pyExpected.stores.clean.experiments) {
      const rows = await rowsByOrigin(tracker, exp.name);
      expect(rows.size).toBe(exp.runs.length);
      for (const run of exp.runs) {
        runs++;
        const row = rows.get(`runelog-py:${exp.experiment_id}/${run.run_id}`)!;
        expect(row).toBeDefined();
        expect(row.status).toBe(run.status);
        expect(row.startTime).toBe(pyTime(run.start_time));
        expect(row.endTime).toBe(pyTime(run.end_time));
        const details = (await tracker.getRunDetails(row.runId as string))!;
        expect(details.params).toEqual(run.params);
        expect(details.metrics).toEqual(decode(run.metrics));
        expect(pick(row, "metrics.")).toEqual(decode(run.metrics));
        const { ["import.source"]: _origin, ...tags } = details.tags;
        expect(tags).toEqual(Object.fromEntries(Object.entries(run.tags ?? {}).map(([k, v]) => [k, tagText(v)])));
        for (const a of run.artifacts) {
          expect(sha256(await tracker.getArtifactAbspath(details.runId, a.name))).toBe(a.sha256);
        }
        if (run.run_files?.["source_control.json"]) {
          const git = run.run_files["source_control.json"];
          expect(details.git).toEqual({ commit: git.commit_hash, branch: git.branch, dirty: git.is_dirty });
        }
      }
    }
    expect(runs).toBe(12);

    for (const model of pyExpected.stores.clean.registry) {
      const versions = await tracker.getModelVersions(model.model_name, { ascending: true });
      expect(versions.map((v) => v.tags["import.source"])).toEqual(model.versions.map((v: { version: string }) => `runelog-py:models/${model.model_name}/${v.version}`));
      model.versions.forEach((v: { tags: Record<string, unknown>; registration_timestamp: string; model_file: { sha256: string } }, i: number) => {
        const { ["import.source"]: _origin, ...tags } = versions[i]!.tags;
        expect(tags).toEqual(Object.fromEntries(Object.entries(v.tags).map(([k, x]) => [k, tagText(x)])));
        expect(versions[i]!.registeredAt).toBe(pyTime(v.registration_timestamp));
      });
      for (const [i, v] of model.versions.entries()) {
        const bytes = (await tracker.loadRegisteredModel(model.model_name, String(i + 1))) as Buffer;
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(v.model_file.sha256);
      }
    }
    // A version whose run was deleted in the source keeps the source's run id.
    const [v1] = await tracker.getModelVersions("churn-classifier", { ascending: true });
    expect(v1!.sourceRunId).toBe("912b45b9");

    const again = await new RuneLog(join(work, "target")).importStore({ from: "runelog-py", source });
    expect(again).toEqual({ experiments: 0, runs: 0, metricPoints: 0, artifacts: 0, models: 0, versions: 0, events: 0, skipped: [] });
  });

  test("the damaged store: imported as far as sound, every unreadable piece listed, no run half-imported", async () => {
    const source = copyStore("runelog-py", "damaged");
    const { tracker, report } = await importInto("runelog-py", source);
    expect(report.skipped.map((s: { path: string }) => s.path).sort()).toEqual([
      ".mlruns/0/581c79ea/metrics/max_score.json",
      ".mlruns/0/80a764a4/metrics/auc.json",
      ".mlruns/0/d0934123/metrics/loss.json",
      ".mlruns/1/1d855946/meta.json",
      ".registry/churn-nightly-model/3/meta.json",
    ]);
    expect(report.skipped.find((s: { path: string }) => s.path.endsWith("1d855946/meta.json"))!.reason).toMatch(/skipped whole/);
    const expected = pyExpected.stores.damaged;
    for (const exp of expected.experiments) {
      const rows = await rowsByOrigin(tracker, exp.name);
      const readable = exp.runs.filter((r: { status?: string }) => r.status !== undefined);
      expect(rows.size).toBe(readable.length);
      for (const run of readable) {
        const row = rows.get(`runelog-py:${exp.experiment_id}/${run.run_id}`)!;
        expect(row.status).toBe(run.status);
        const details = (await tracker.getRunDetails(row.runId as string))!;
        expect(details.params).toEqual(run.params);
        expect(details.metrics).toEqual(decode(run.metrics));
        for (const a of run.artifacts) expect(sha256(await tracker.getArtifactAbspath(details.runId, a.name))).toBe(a.sha256);
      }
    }
    const versions = await tracker.getModelVersions("churn-nightly-model", { ascending: true });
    expect(versions.map((v) => [v.version, v.tags["import.source"]])).toEqual([
      ["1", "runelog-py:models/churn-nightly-model/1"],
      ["2", "runelog-py:models/churn-nightly-model/2"],
      ["3", "runelog-py:models/churn-nightly-model/4"],
    ]);
    expect((await new RuneLog(join(work, "target")).importStore({ from: "runelog-py", source })).events).toBe(0);
  });

  test("a source that grew adds only what is new; .mlruns/ itself is accepted as the source", async () => {
    const full = copyStore("runelog-py", "clean");
    const earlier = join(work, "earlier");
    cpSync(full, earlier, { recursive: true });
    rmSync(join(earlier, ".mlruns", "3"), { recursive: true });
    rmSync(join(earlier, ".registry", "churn-classifier", "3"), { recursive: true });
    rmSync(join(earlier, ".registry", "churn-ltv-regressor", "2"), { recursive: true });
    rmSync(join(earlier, ".mlruns", "1", "3c2a179a", "metrics", "auc.json"));
    const first = await importInto("runelog-py", join(earlier, ".mlruns"));
    expect(first.report).toMatchObject({ runs: 9, versions: 3 });
    const second = await first.tracker.importStore({ from: "runelog-py", source: join(full, ".mlruns") });
    expect(second).toMatchObject({ experiments: 1, runs: 3, versions: 2, models: 0, skipped: [] });
    const row = (await rowsByOrigin(first.tracker, "churn-baseline")).get("runelog-py:1/3c2a179a")!;
    expect(row["metrics.auc"]).toBe(0.280457);
    expect((await first.tracker.importStore({ from: "runelog-py", source: full })).events).toBe(0);
  });
});

describe("import: history and races", () => {
  test("views show the source's times, the events' own times are the import's: asOf before the import shows none of it", async () => {
    const source = copyStore("runelog-py", "clean");
    const tracker = new RuneLog(join(work, "target"));
    await tracker.getOrCreateExperiment("before");
    const before = new Date();
    await new Promise((r) => setTimeout(r, 5));
    await tracker.importStore({ from: "runelog-py", source });
    const [run] = (await tracker.loadResults("churn-baseline")).objects() as Row[];
    expect(Date.parse(run!.startTime as string)).toBeLessThan(before.getTime()); // the source's time, not the import's
    for await (const e of tracker.events({ since: before })) expect(Date.parse(e.ts)).toBeGreaterThanOrEqual(before.getTime());
    const past = tracker.asOf(before);
    expect((await past.listExperiments()).map((e) => e.name)).toEqual(["Default", "before"]);
    expect(await past.listRegisteredModels()).toEqual([]);
  });

  test("two imports of one source at once: every experiment, run and version exactly once", async () => {
    const source = copyStore("runelog-py", "clean");
    const dir = join(work, "target");
    const [a, b] = await Promise.all([new RuneLog(dir).importStore({ from: "runelog-py", source }), new RuneLog(dir).importStore({ from: "runelog-py", source })]);
    expect(a.runs + b.runs).toBe(12);
    expect(a.versions + b.versions).toBe(5);
    expect(a.experiments + b.experiments).toBe(4);
    const tracker = new RuneLog(dir);
    const origins: string[] = [];
    for await (const e of tracker.events()) if (e.type === "RunStarted") origins.push(e.data.tags["import.source"]!);
    expect(new Set(origins).size).toBe(12);
    expect(origins).toHaveLength(12);
  });
});

describe("import mlflow", () => {
  test("the store: runs with status, times, params, tags, every metric point, nested runs, artifacts by sha256, the registry with stages and aliases", async () => {
    const source = copyStore("mlflow", "store");
    const { tracker, report } = await importInto("mlflow", `file://${source}`);
    expect(report.skipped).toEqual([]);
    const expected = mlExpected.stores.store;
    expect((await tracker.listExperiments()).map((e) => e.name).sort()).toEqual(["Default", "fraud-detection", "image-classifier"]);
    const events = await allEvents(tracker);
    const trashed = events.find((e) => e.type === "ExperimentCreated" && e.data.name === "scratch-notebook")!;
    expect(trashed).toBeDefined();
    expect(events.some((e) => e.type === "ExperimentDeleted" && e.data.experimentId === (trashed.data as { experimentId: string }).experimentId)).toBe(true);
    const created = (await tracker.listExperiments()).find((e) => e.name === "fraud-detection")!;
    expect(created.createdAt).toBe(msTime(expected.experiments.find((e: { name: string }) => e.name === "fraud-detection").creation_time));

    const ids = new Map<string, string>();
    for (const exp of expected.experiments.filter((e: { lifecycle_stage: string }) => e.lifecycle_stage === "active")) {
      const rows = await rowsByOrigin(tracker, exp.name);
      for (const [origin, row] of rows) ids.set(origin.split("/")[1]!, row.runId as string);
    }
    for (const run of expected.runs) {
      const origin = `mlflow:${run.experiment_id}/${run.run_id}`;
      if (run.lifecycle_stage === "deleted") {
        const started = events.find((e) => e.type === "RunStarted" && e.data.tags["import.source"] === origin)!;
        expect(events.some((e) => e.type === "RunDeleted" && e.data.runId === (started.data as { runId: string }).runId)).toBe(true);
        expect(ids.has(run.run_id)).toBe(false);
        continue;
      }
      const details = (await tracker.getRunDetails(ids.get(run.run_id)!))!;
      expect(details.status).toBe(run.status);
      expect(details.startTime).toBe(msTime(run.start_time));
      expect(details.endTime).toBe(msTime(run.end_time));
      expect(details.params).toEqual(run.params);
      expect(details.tags).toEqual({ ...run.tags, "mlflow.runName": run.run_name, "import.source": origin });
      expect(details.parentRunId).toBe(run.parent_run_id ? ids.get(run.parent_run_id) : null);
      expect(Object.keys(details.metricHistory).sort()).toEqual(Object.keys(run.metric_history).sort());
      for (const [key, points] of Object.entries(run.metric_history as Record<string, Array<{ value: unknown; step: number; timestamp: number }>>)) {
        expect(details.metricHistory[key]).toEqual(points.map((p) => ({ value: num(p.value), step: p.step, timestamp: p.timestamp })));
      }
      expect(details.metrics).toEqual(decode(Object.fromEntries(Object.entries(run.metrics as Record<string, { value: unknown }>).map(([k, m]) => [k, m.value]))));
      const files = (run.artifacts as Array<{ path: string; is_dir: boolean; sha256?: string }>).filter((a) => !a.is_dir);
      expect(details.artifacts.sort()).toEqual(files.map((a) => a.path).sort());
      for (const a of files) expect(sha256(await tracker.getArtifactAbspath(details.runId, a.path))).toBe(a.sha256);
    }

    for (const model of expected.registered_models) {
      const versions = await tracker.getModelVersions(model.name, { ascending: true });
      expect(versions.map((v) => v.tags["import.source"])).toEqual(model.versions.map((v: { version: string }) => `mlflow:models/${model.name}/${v.version}`));
      model.versions.forEach((v: { version: string; tags: Record<string, string>; current_stage: string; creation_timestamp: number; run_id: string; description: string | null }, i: number) => {
        const got = versions[i]!;
        const want: Record<string, string> = { ...v.tags, "import.source": `mlflow:models/${model.name}/${v.version}` };
        if (v.current_stage !== "None") want.stage = v.current_stage;
        if (v.description) want.description = v.description;
        for (const [k, x] of Object.entries(model.tags as Record<string, string>)) want[`model.${k}`] = x;
        if (model.description) want["model.description"] = model.description;
        expect(got.tags).toEqual(want);
        expect(got.registeredAt).toBe(msTime(v.creation_timestamp));
        expect(got.sourceRunId).toBe(ids.get(v.run_id));
      });
      const aliases = Object.fromEntries(versions.flatMap((v) => v.aliases.map((a) => [a, v.version])));
      expect(aliases).toEqual(model.aliases);
    }
    const [echo] = await tracker.getModelVersions("feature-echo");
    expect(echo!.artifactName).toBe("model/MLmodel");

    const again = await new RuneLog(join(work, "target")).importStore({ from: "mlflow", source });
    expect(again.events).toBe(0);
  });

  test("the damaged store: runs without meta.yaml or with an empty one are skipped whole, an empty metric file leaves out that metric", async () => {
    const source = copyStore("mlflow", "damaged");
    const { tracker, report } = await importInto("mlflow", source);
    const exp = "591202632253890336";
    expect(report.skipped.map((s: { path: string }) => s.path).sort()).toEqual(
      [`${exp}/0965f17704d04fa58b41e748d6d8365a/metrics/loss`, `${exp}/3001da159f2d4225a0d4e98d79b45a4b/meta.yaml`, `${exp}/92a6269a3e4545dd9ca148e002a47d4d/meta.yaml`, `${exp}/d36e6750885842a09483aff651d49a12/meta.yaml`].sort(),
    );
    const rows = await rowsByOrigin(tracker, "fraud-detection");
    const readable = (mlExpected.stores.damaged.runs as Array<{ run_id: string; status?: string; metric_history?: Record<string, unknown[]>; partial_read?: unknown }>).filter((r) => r.status !== undefined);
    expect(rows.size).toBe(readable.length + 1); // + 0965f177, which MLflow's get_run refuses but whose other pieces are sound
    for (const run of readable) {
      const details = (await tracker.getRunDetails(rows.get(`mlflow:${exp}/${run.run_id}`)!.runId as string))!;
      expect(details.status).toBe(run.status);
      for (const [key, points] of Object.entries(run.metric_history!)) expect(details.metricHistory[key] ?? []).toHaveLength(points.length);
    }
    const partial = (await tracker.getRunDetails(rows.get(`mlflow:${exp}/0965f17704d04fa58b41e748d6d8365a`)!.runId as string))!;
    expect(partial.metricHistory.loss).toBeUndefined();
    expect(partial.params).toEqual({ n_estimators: expect.any(String) });
    expect((await new RuneLog(join(work, "target")).importStore({ from: "mlflow", source })).events).toBe(0);
  });

  test("a half-written last metric line: the points before it are imported, the line is listed; when it is completed, one more point comes", async () => {
    const source = copyStore("mlflow", "store");
    const exp = "142717456008246406";
    const runDir = readdirSync(join(source, exp)).find((d) => d.length === 32 && readFileSync(join(source, exp, d, "tags", "mlflow.runName"), "utf8") === "fold-0")!;
    const file = join(source, exp, runDir, "metrics", "loss");
    const whole = readFileSync(file, "utf8");
    const lines = whole.trimEnd().split("\n");
    const last = lines.at(-1)!;
    writeFileSync(file, lines.slice(0, -1).join("\n") + "\n" + last.slice(0, 12));
    const { tracker, report } = await importInto("mlflow", source);
    expect(report.skipped).toEqual([{ path: `${exp}/${runDir}/metrics/loss`, reason: expect.stringMatching(/line \d+ is cut off/) }]);
    const row = (await rowsByOrigin(tracker, "image-classifier")).get(`mlflow:${exp}/${runDir}`)!;
    expect(await tracker.getMetricHistory(row.runId as string, "loss")).toHaveLength(lines.length - 1);
    writeFileSync(file, whole);
    const grown = await tracker.importStore({ from: "mlflow", source });
    expect(grown).toMatchObject({ runs: 0, metricPoints: 1, events: 1, skipped: [] });
    expect(await tracker.getMetricHistory(row.runId as string, "loss")).toHaveLength(lines.length);
  });

  test("a grown MLflow store: new metric points, a new tag and a new alias only", async () => {
    const source = copyStore("mlflow", "store");
    const exp = "734768949232220386";
    const run = readdirSync(join(source, exp)).find((d) => d.length === 32 && readFileSync(join(source, exp, d, "tags", "mlflow.runName"), "utf8") === "oom-crash")!;
    const loss = join(source, exp, run, "metrics", "loss");
    const whole = readFileSync(loss, "utf8");
    const lines = whole.trimEnd().split("\n");
    writeFileSync(loss, lines.slice(0, 10).join("\n") + "\n");
    const aliases = join(source, "models", "fraud-classifier", "aliases");
    const challenger = readFileSync(join(aliases, "challenger"), "utf8");
    rmSync(join(aliases, "challenger"));
    const { tracker } = await importInto("mlflow", source);
    writeFileSync(loss, whole);
    appendFileSync(loss, ""); // unchanged otherwise
    writeFileSync(join(aliases, "challenger"), challenger);
    writeFileSync(join(source, exp, run, "tags", "reviewed"), "yes");
    const grown = await tracker.importStore({ from: "mlflow", source });
    expect(grown).toMatchObject({ runs: 0, metricPoints: lines.length - 10, versions: 0, events: lines.length - 10 + 2, skipped: [] });
    expect((await tracker.getModelVersions("fraud-classifier")).find((v) => v.aliases.includes("challenger"))!.version).toBe("3");
    truncateSync(loss, 0); // a later damage in the source never removes what was imported
    const after = await tracker.importStore({ from: "mlflow", source });
    expect(after.events).toBe(0);
    expect(after.skipped).toHaveLength(1);
  });
});

describe("runelog import (CLI)", () => {
  test("exit 0 with a summary, then exit 0 and nothing new; exit 1 listing skipped pieces; exit 2 for a source that is not a store; never a stack trace", async () => {
    const store = join(work, "cli");
    const clean = copyStore("runelog-py", "clean");
    const a = await cli(["import", "runelog-py", clean, "--path", store]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/4 new experiments, 12 runs, .*5 versions/);
    const list = await cli(["runs", "list", "churn-tuning", "--path", store]);
    expect(list.stdout).toMatch(/4 runs/);
    const b = await cli(["import", "runelog-py", clean, "--path", store, "--json"]);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ events: 0, skipped: [] });
    const c = await cli(["import", "mlflow", copyStore("mlflow", "damaged"), "--path", store]);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/skipped 4 pieces:\n {2}591202632253890336\/0965f17704d04fa58b41e748d6d8365a\/metrics\/loss: empty metric file/);
    const d = await cli(["import", "mlflow", join(work, "nothing-here"), "--path", store]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/^runelog: .*nothing-here is not a folder\n$/);
    const e = await cli(["import", "runelog-py", join(FIXTURES, "mlflow"), "--path", store]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/^runelog: .* is not a Python RuneLog store: no \.mlruns\/ folder in it\n$/);
    const f = await cli(["import", "sqlite", clean, "--path", store]);
    expect(f.code).toBe(2);
    for (const r of [a, b, c, d, e, f]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
