/**
 * `runelog import mlflow` on an MLflow 3 store with logged models. No MLflow 3 runs here, so the
 * store is written by test/helpers/mlflow3-store.ts, which follows MLflow 3's writers (it names
 * the function each file comes from). What each test expects is written out below from the
 * sequence of MLflow calls it makes, not read back through the importer.
 */
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RuneLog, type JournalEvent } from "../src/index.js";
import { Mlflow3Store } from "./helpers/mlflow3-store.js";
import { removeDir, tempDir } from "./helpers/store.js";

const T = 1_800_000_000_000;
const EXP = "412345678901234567";
const RUN = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const M1 = "m-1111aaaa1111aaaa1111aaaa1111aaaa";
const M2 = "m-2222bbbb2222bbbb2222bbbb2222bbbb";
const M3 = "m-3333cccc3333cccc3333cccc3333cccc";
const M6 = "m-6666ffff6666ffff6666ffff6666ffff";
const CONTEXT = { "mlflow.user": "ada", "mlflow.source.name": "train.py", "mlflow.source.type": "LOCAL" };
const PICKLE = Buffer.from([0x80, 0x04, 0x95, 0x00, 0xff, 0x10, 0x2e]);

const sha256 = (file: string | Buffer) => createHash("sha256").update(typeof file === "string" ? readFileSync(file) : file).digest("hex");

let work: string;
beforeEach(() => {
  work = tempDir("runelog-mlflow3-");
});
afterEach(() => removeDir(work));

/** One training run that logs two models named "model" (steps 1 and 2) and registers both; an agent logged without a run; a model deleted in MLflow. */
function buildStore(root: string): Mlflow3Store {
  const s = new Mlflow3Store(root, T);
  s.createExperiment(EXP, "churn-v3", T + 10);
  s.createRun(EXP, RUN, "train", T + 50, CONTEXT);
  s.logParam(RUN, "lr", "0.1");
  s.logArtifact(RUN, "notes.txt", "trained on march data\n");
  s.logMetric(RUN, "loss", 0.9, T + 100, 0);
  s.logMetric(RUN, "loss", 0.5, T + 200, 1);
  s.logMetric(RUN, "auc", 0.8, T + 210, 1, { dataset: ["eval", "d41d8cd98f00"] });
  s.logModel(M1, { experimentId: EXP, runId: RUN, name: "model", step: 1, time: T + 300, params: { n_estimators: "10" }, tags: { ...CONTEXT, team: "fraud" }, files: { MLmodel: "artifact_path: model\nflavors: {}\n", "model.pkl": PICKLE, "requirements.txt": "scikit-learn\n" } });
  s.createRegisteredModel("churn-model", T + 320);
  s.registerLoggedModel("churn-model", 1, M1, T + 330);
  s.logMetric(RUN, "loss", 0.3, T + 400, 2);
  s.logModel(M2, { experimentId: EXP, runId: RUN, name: "model", step: 2, time: T + 500, tags: CONTEXT, files: { MLmodel: "artifact_path: model\nflavors: {sklearn: {}}\n", "model.pkl": Buffer.from([1, 2, 3]) } });
  s.registerLoggedModel("churn-model", 2, M2, T + 530);
  s.logModel(M6, { experimentId: EXP, runId: RUN, name: "scratch", step: 2, time: T + 600, files: { MLmodel: "scratch\n" } });
  s.deleteLoggedModel(M6, T + 650);
  s.endRun(RUN, 3, T + 1000);
  s.logModel(M3, { experimentId: EXP, runId: null, name: "prompt-agent", time: T + 2000, params: { temperature: "0.2" }, tags: { "mlflow.user": "ada" }, modelType: "agent", files: { MLmodel: "flavors: {python_function: {}}\n", "agent.py": "def predict(x):\n    return x\n" } });
  s.createRegisteredModel("agent", T + 2100);
  s.registerLoggedModel("agent", 1, M3, T + 2110);
  return s;
}

async function importInto(source: string, dir = join(work, "target")) {
  const tracker = new RuneLog(dir);
  return { tracker, report: await tracker.importStore({ from: "mlflow", source }) };
}

async function runByOrigin(tracker: RuneLog, origin: string) {
  const row = ((await tracker.loadResults("churn-v3")).objects() as Array<Record<string, unknown>>).find((r) => r["tags.import.source"] === origin);
  expect(row).toBeDefined();
  return (await tracker.getRunDetails(row!.runId as string))!;
}

async function allEvents(tracker: RuneLog): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of tracker.events()) out.push(e);
  return out;
}

const modelFile = (s: Mlflow3Store, id: string, name: string) => join(s.models.get(id)!.dir, "artifacts", name);

describe("import mlflow: MLflow 3 logged models", () => {
  test("a run's logged models become folders of its artifacts with mlflow.loggedModel.* tags; a model without a run becomes a run; models:/ versions resolve to the model's MLmodel", async () => {
    const source = join(work, "mlruns");
    const s = buildStore(source);
    const { tracker, report } = await importInto(source);
    expect(report.skipped).toEqual([]);
    expect(report).toMatchObject({ runs: 2, versions: 3, models: 2 });

    const run = await runByOrigin(tracker, `mlflow:${EXP}/${RUN}`);
    expect(run.status).toBe("FINISHED");
    expect(run.params).toEqual({ lr: "0.1" });
    const artifacts: Record<string, string> = {
      "notes.txt": join(source, EXP, RUN, "artifacts", "notes.txt"),
      "model/MLmodel": modelFile(s, M1, "MLmodel"),
      "model/model.pkl": modelFile(s, M1, "model.pkl"),
      "model/requirements.txt": modelFile(s, M1, "requirements.txt"),
      [`model-${M2}/MLmodel`]: modelFile(s, M2, "MLmodel"),
      [`model-${M2}/model.pkl`]: modelFile(s, M2, "model.pkl"),
    };
    expect(run.artifacts.sort()).toEqual(Object.keys(artifacts).sort());
    for (const [name, file] of Object.entries(artifacts)) expect(sha256(await tracker.getArtifactAbspath(run.runId, name))).toBe(sha256(file));
    expect(sha256(await tracker.getArtifactAbspath(run.runId, "model/model.pkl"))).toBe(sha256(PICKLE));
    expect(run.tags).toEqual({
      ...CONTEXT,
      "mlflow.runName": "train",
      "import.source": `mlflow:${EXP}/${RUN}`,
      "mlflow.loggedModel.model.id": M1,
      "mlflow.loggedModel.model.status": "READY",
      "mlflow.loggedModel.model.param.n_estimators": "10",
      "mlflow.loggedModel.model.tag.team": "fraud",
      "mlflow.loggedModel.model.tag.mlflow.modelVersions": '[{"name":"churn-model","version":"1"}]',
      [`mlflow.loggedModel.model-${M2}.id`]: M2,
      [`mlflow.loggedModel.model-${M2}.status`]: "READY",
      [`mlflow.loggedModel.model-${M2}.tag.mlflow.modelVersions`]: '[{"name":"churn-model","version":"2"}]',
    });
    // The run's metric files as MLflow left them: each Model.log logged the run's points at its step again (with the model id), so they are there once more per model logged at that step (M1 at 1; M2 and M6 at 2); the models' own metric files are not read again.
    expect(run.metricHistory.loss).toEqual([
      { value: 0.9, step: 0, timestamp: T + 100 },
      { value: 0.5, step: 1, timestamp: T + 200 },
      { value: 0.5, step: 1, timestamp: T + 200 },
      { value: 0.3, step: 2, timestamp: T + 400 },
      { value: 0.3, step: 2, timestamp: T + 400 },
      { value: 0.3, step: 2, timestamp: T + 400 },
    ]);
    expect(run.metricHistory.auc).toEqual([
      { value: 0.8, step: 1, timestamp: T + 210 },
      { value: 0.8, step: 1, timestamp: T + 210 },
    ]);
    expect(Object.keys(run.metricHistory).sort()).toEqual(["auc", "loss"]);

    const agent = await runByOrigin(tracker, `mlflow:${EXP}/${M3}`);
    expect(agent).toMatchObject({ status: "FINISHED", startTime: new Date(T + 2000).toISOString(), endTime: new Date(T + 2005).toISOString(), params: { temperature: "0.2" }, parentRunId: null });
    expect(agent.tags).toEqual({
      "mlflow.runName": "prompt-agent",
      "mlflow.user": "ada",
      "mlflow.modelVersions": '[{"name":"agent","version":"1"}]',
      "mlflow.loggedModel.prompt-agent.id": M3,
      "mlflow.loggedModel.prompt-agent.status": "READY",
      "mlflow.loggedModel.prompt-agent.type": "agent",
      "import.source": `mlflow:${EXP}/${M3}`,
    });
    expect(agent.artifacts.sort()).toEqual(["prompt-agent/MLmodel", "prompt-agent/agent.py"]);
    expect(sha256(await tracker.getArtifactAbspath(agent.runId, "prompt-agent/agent.py"))).toBe(sha256(modelFile(s, M3, "agent.py")));

    const churn = await tracker.getModelVersions("churn-model", { ascending: true });
    expect(churn.map((v) => [v.version, v.artifactName, v.sourceRunId, v.registeredAt, v.tags["import.source"]])).toEqual([
      ["1", "model/MLmodel", run.runId, new Date(T + 330).toISOString(), "mlflow:models/churn-model/1"],
      ["2", `model-${M2}/MLmodel`, run.runId, new Date(T + 530).toISOString(), "mlflow:models/churn-model/2"],
    ]);
    const [agentVersion] = await tracker.getModelVersions("agent");
    expect([agentVersion!.artifactName, agentVersion!.sourceRunId]).toEqual(["prompt-agent/MLmodel", agent.runId]);
    const registered = (await allEvents(tracker)).filter((e) => e.type === "ModelVersionRegistered").map((e) => [(e.data as { modelName: string }).modelName, (e.data as { sha256: string }).sha256]);
    expect(registered).toEqual([
      ["agent", sha256(modelFile(s, M3, "MLmodel"))],
      ["churn-model", sha256(modelFile(s, M1, "MLmodel"))],
      ["churn-model", sha256(modelFile(s, M2, "MLmodel"))],
    ]); // registered models in name order, versions in the source's order
    // The deleted model's files are nowhere.
    expect(run.artifacts.some((a) => a.startsWith("scratch"))).toBe(false);

    expect((await new RuneLog(join(work, "target")).importStore({ from: "mlflow", source })).events).toBe(0);
  });

  test("a grown store adds only the new model's files and tags, the new version, and the end of a model that was pending", async () => {
    const source = join(work, "mlruns");
    const s = buildStore(source);
    const M9 = "m-9999aaaa9999aaaa9999aaaa9999aaaa";
    s.createLoggedModel(EXP, M9, { name: "helper", sourceRunId: null, time: T + 3000 }); // initialize_logged_model: PENDING, no files yet
    const { tracker } = await importInto(source);
    const pending = await runByOrigin(tracker, `mlflow:${EXP}/${M9}`);
    expect([pending.status, pending.endTime, pending.tags["mlflow.loggedModel.helper.status"]]).toEqual(["RUNNING", null, "PENDING"]);

    const M7 = "m-7777aaaa7777aaaa7777aaaa7777aaaa";
    s.logModel(M7, { experimentId: EXP, runId: RUN, name: "model", step: 3, time: T + 4000, tags: CONTEXT, files: { MLmodel: "v3\n", "model.pkl": Buffer.from([7]) } });
    s.registerLoggedModel("churn-model", 3, M7, T + 4100);
    s.logModelArtifacts(M9, { MLmodel: "helper\n" });
    s.finalizeLoggedModel(M9, "READY", T + 5000);

    const grown = await tracker.importStore({ from: "mlflow", source });
    expect(grown.skipped).toEqual([]);
    expect(grown).toMatchObject({ runs: 0, versions: 1, artifacts: 3 });
    const run = await runByOrigin(tracker, `mlflow:${EXP}/${RUN}`);
    expect(run.artifacts.filter((a) => a.startsWith("model/")).sort()).toEqual(["model/MLmodel", "model/model.pkl", "model/requirements.txt"]);
    expect(run.artifacts.filter((a) => a.startsWith(`model-${M7}/`)).sort()).toEqual([`model-${M7}/MLmodel`, `model-${M7}/model.pkl`]);
    expect(run.tags[`mlflow.loggedModel.model-${M7}.id`]).toBe(M7);
    const done = await runByOrigin(tracker, `mlflow:${EXP}/${M9}`);
    expect([done.status, done.endTime, done.tags["mlflow.loggedModel.helper.status"], done.artifacts]).toEqual(["FINISHED", new Date(T + 5000).toISOString(), "READY", ["helper/MLmodel"]]);
    const versions = await tracker.getModelVersions("churn-model", { ascending: true });
    expect(versions.map((v) => v.artifactName)).toEqual(["model/MLmodel", `model-${M2}/MLmodel`, `model-${M7}/MLmodel`]);
    // TagsSet on the run, its 2 new files, TagsSet and RunEnded on the helper, its file, the version.
    expect(grown.events).toBe(7);

    expect((await tracker.importStore({ from: "mlflow", source })).events).toBe(0);
  });

  test("damage: a logged model with an empty or missing meta.yaml, or whose run is gone, is skipped and listed; so is a version made from it; everything else comes", async () => {
    const source = join(work, "mlruns");
    const s = buildStore(source);
    const M4 = "m-4444aaaa4444aaaa4444aaaa4444aaaa";
    const M5 = "m-5555aaaa5555aaaa5555aaaa5555aaaa";
    const M8 = "m-8888aaaa8888aaaa8888aaaa8888aaaa";
    // A writer killed inside finalize_logged_model's write_yaml: meta.yaml empty, the files already there.
    s.logModel(M4, { experimentId: EXP, runId: RUN, name: "torn", time: T + 6000, files: { MLmodel: "torn\n" } });
    s.createRegisteredModel("broken", T + 6100);
    s.registerLoggedModel("broken", 1, M4, T + 6110);
    writeFileSync(join(s.models.get(M4)!.dir, "meta.yaml"), "");
    // One killed inside create_logged_model's write_yaml, before meta.yaml existed: only the artifacts of a later upload attempt.
    s.logModel(M5, { experimentId: EXP, runId: RUN, name: "lost", time: T + 7000, files: { MLmodel: "lost\n" } });
    rmSync(join(s.models.get(M5)!.dir, "meta.yaml"));
    // A model whose source run was removed by hand.
    s.createLoggedModel(EXP, M8, { name: "orphan", sourceRunId: "ffffffffffffffffffffffffffffffff", time: T + 8000 });

    const { tracker, report } = await importInto(source);
    expect(report.skipped.map((x) => x.path).sort()).toEqual([`${EXP}/models/${M4}/meta.yaml`, `${EXP}/models/${M5}/meta.yaml`, `${EXP}/models/${M8}`, "models/broken/version-1"].sort());
    const reasons = Object.fromEntries(report.skipped.map((x) => [x.path, x.reason]));
    expect(reasons[`${EXP}/models/${M4}/meta.yaml`]).toMatch(/empty meta\.yaml.*logged model is skipped/);
    expect(reasons[`${EXP}/models/${M5}/meta.yaml`]).toMatch(/no meta\.yaml.*logged model is skipped/);
    expect(reasons[`${EXP}/models/${M8}`]).toMatch(/source run ffffffffffffffffffffffffffffffff is not in the store/);
    expect(reasons["models/broken/version-1"]).toMatch(new RegExp(`logged model ${M4} is not in the store or was skipped`));

    const run = await runByOrigin(tracker, `mlflow:${EXP}/${RUN}`);
    expect(run.artifacts.filter((a) => /^(torn|lost|orphan)/.test(a))).toEqual([]);
    expect(Object.keys(run.tags).filter((k) => /\.(torn|lost|orphan)\./.test(k))).toEqual([]);
    expect(run.artifacts).toContain("model/MLmodel");
    expect((await tracker.getModelVersions("churn-model")).length).toBe(2);
    expect(await tracker.getModelVersions("broken")).toEqual([]);
    expect((await tracker.importStore({ from: "mlflow", source })).events).toBe(0);
  });
});
