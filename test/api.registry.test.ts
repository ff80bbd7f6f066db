/** The model registry and the error classes, as API.md describes them. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as runelog from "../src/index.js";
import {
  ArtifactNotFound, ModelNotFound, ModelVersionNotFound, NoVersionsFound, RunNotFound, RuneLog, RuneLogError,
} from "../src/index.js";
import { caught, nextMillisecond, openStore, QUIET, type TestStore } from "./helpers/api.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UNKNOWN_RUN = "01HZZZZZZZZZZZZZZZZZZZZZZZ";

let store: TestStore;
let tracker: RuneLog;
beforeEach(() => {
  store = openStore();
  tracker = store.tracker;
});
afterEach(() => store.done());

/** A finished run holding JSON models named after each entry of `models`. */
async function runWithModels(models: Record<string, unknown>): Promise<string> {
  return tracker.startRun({ experimentName: "registry", ...QUIET }, async (run) => {
    for (const [name, model] of Object.entries(models)) await run.logModel(model, name);
    return run.runId;
  });
}

describe("registerModel", () => {
  test('returns versions "1", "2", … per model name', async () => {
    const runId = await runWithModels({ "m.json": { v: 1 } });
    expect(await tracker.registerModel(runId, "m.json", "alpha")).toBe("1");
    expect(await tracker.registerModel(runId, "m.json", "alpha")).toBe("2");
    expect(await tracker.registerModel(runId, "m.json", "beta")).toBe("1");
    expect(await tracker.registerModel(runId, "m.json", "alpha")).toBe("3");
  });

  test("a file artifact (not only logModel output) can be registered and loads as its bytes", async () => {
    const file = join(store.dir, "weights.bin");
    writeFileSync(file, Buffer.from([9, 8, 7]));
    const runId = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logArtifact(file);
      return run.runId;
    });
    expect(await tracker.registerModel(runId, "weights.bin", "raw")).toBe("1");
    const loaded = await tracker.loadRegisteredModel("raw");
    expect(Buffer.from(loaded as Uint8Array)).toEqual(Buffer.from([9, 8, 7]));
  });

  test("versions are gap-free and unique when several trackers register at once", async () => {
    const runId = await runWithModels({ "m.json": { v: 1 } });
    const versions = await Promise.all(Array.from({ length: 6 }, () => store.reopen().registerModel(runId, "m.json", "raced")));
    expect(versions.map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await tracker.getModelVersions("raced", { ascending: true })).map((v) => v.version)).toEqual(["1", "2", "3", "4", "5", "6"]);
  });

  test("tags given at registration are the version's tags", async () => {
    const runId = await runWithModels({ "m.json": { v: 1 } });
    await tracker.registerModel(runId, "m.json", "tagged", { stage: "staging" });
    expect(await tracker.getModelTags("tagged", "1")).toEqual({ stage: "staging" });
  });

  test("an unknown run throws RunNotFound and registers nothing", async () => {
    await expect(tracker.registerModel(UNKNOWN_RUN, "m.json", "ghost")).rejects.toBeInstanceOf(RunNotFound);
    expect(await tracker.listRegisteredModels()).toEqual([]);
  });

  test("an unknown artifact throws ArtifactNotFound and registers nothing", async () => {
    const runId = await runWithModels({ "m.json": { v: 1 } });
    await expect(tracker.registerModel(runId, "other.json", "ghost")).rejects.toBeInstanceOf(ArtifactNotFound);
    expect(await tracker.listRegisteredModels()).toEqual([]);
  });

  test("a deleted run can no longer be registered (RunNotFound); its registered versions still load", async () => {
    const runId = await runWithModels({ "m.json": { keep: true } });
    await tracker.registerModel(runId, "m.json", "survivor");
    await tracker.deleteRun(runId);
    await expect(tracker.registerModel(runId, "m.json", "survivor")).rejects.toBeInstanceOf(RunNotFound);
    expect(await tracker.loadRegisteredModel("survivor")).toEqual({ keep: true });
  });
});

describe("listRegisteredModels", () => {
  test("names, ascending by default, descending on request", async () => {
    const runId = await runWithModels({ "m.json": 1 });
    for (const name of ["mango", "apple", "zebra", "Banana"]) await tracker.registerModel(runId, "m.json", name);
    expect(await tracker.listRegisteredModels()).toEqual(["Banana", "apple", "mango", "zebra"]);
    expect(await tracker.listRegisteredModels({ ascending: true })).toEqual(["Banana", "apple", "mango", "zebra"]);
    expect(await tracker.listRegisteredModels({ ascending: false })).toEqual(["zebra", "mango", "apple", "Banana"]);
  });

  test("an empty registry lists []", async () => {
    expect(await tracker.listRegisteredModels()).toEqual([]);
  });
});

describe("getModelVersions", () => {
  test("has the documented shape", async () => {
    const runId = await runWithModels({ "m.json": { w: 1 } });
    await tracker.registerModel(runId, "m.json", "shape", { owner: "me" });
    await tracker.setModelAlias("shape", "champion", "1");
    const [v] = await tracker.getModelVersions("shape");
    expect(v).toEqual({
      modelName: "shape",
      version: "1",
      sourceRunId: runId,
      artifactName: "m.json",
      registeredAt: expect.stringMatching(ISO),
      tags: { owner: "me" },
      aliases: ["champion"],
    });
  });

  test('versions compare as numbers: "10" sorts after "9"; newest first by default', async () => {
    const runId = await runWithModels({ "m.json": { w: 1 } });
    for (let i = 1; i <= 11; i++) expect(await tracker.registerModel(runId, "m.json", "many")).toBe(String(i));
    const expected = Array.from({ length: 11 }, (_, i) => String(i + 1));
    expect((await tracker.getModelVersions("many", { ascending: true })).map((v) => v.version)).toEqual(expected);
    expect((await tracker.getModelVersions("many")).map((v) => v.version)).toEqual([...expected].reverse());
    expect((await tracker.getModelVersions("many", { sortBy: "version", ascending: false })).map((v) => v.version)).toEqual([...expected].reverse());
  });

  test("sortBy registeredAt and artifactName", async () => {
    const runId = await runWithModels({ "b.json": 1, "a.json": 2 });
    await tracker.registerModel(runId, "b.json", "keys");
    await nextMillisecond();
    await tracker.registerModel(runId, "a.json", "keys");
    expect((await tracker.getModelVersions("keys", { sortBy: "registeredAt", ascending: true })).map((v) => v.version)).toEqual(["1", "2"]);
    expect((await tracker.getModelVersions("keys", { sortBy: "registeredAt", ascending: false })).map((v) => v.version)).toEqual(["2", "1"]);
    expect((await tracker.getModelVersions("keys", { sortBy: "artifactName", ascending: true })).map((v) => v.artifactName)).toEqual(["a.json", "b.json"]);
  });

  test("an unknown model gives []", async () => {
    expect(await tracker.getModelVersions("nobody")).toEqual([]);
  });
});

describe("loadRegisteredModel", () => {
  async function threeVersions() {
    const runId = await runWithModels({ "v1.json": { v: 1 }, "v2.json": { v: 2 }, "v3.json": { v: 3 } });
    for (const n of [1, 2, 3]) await tracker.registerModel(runId, `v${n}.json`, "clf");
    return runId;
  }

  test('version defaults to "latest", the highest version', async () => {
    await threeVersions();
    expect(await tracker.loadRegisteredModel("clf")).toEqual({ v: 3 });
    expect(await tracker.loadRegisteredModel("clf", "latest")).toEqual({ v: 3 });
  });

  test("a number string (or a number) picks that version", async () => {
    await threeVersions();
    expect(await tracker.loadRegisteredModel("clf", "1")).toEqual({ v: 1 });
    expect(await tracker.loadRegisteredModel("clf", "2")).toEqual({ v: 2 });
    expect(await tracker.loadRegisteredModel("clf", 2)).toEqual({ v: 2 });
  });

  test('"@alias" picks the version the alias points at', async () => {
    await threeVersions();
    await tracker.setModelAlias("clf", "champion", "2");
    expect(await tracker.loadRegisteredModel("clf", "@champion")).toEqual({ v: 2 });
  });

  test("an unknown model throws ModelNotFound", async () => {
    const err = await caught(() => tracker.loadRegisteredModel("nobody"));
    expect(err).toBeInstanceOf(ModelNotFound);
    expect(err).not.toBeInstanceOf(NoVersionsFound);
  });

  test("an unknown version or alias throws ModelVersionNotFound", async () => {
    await threeVersions();
    await expect(tracker.loadRegisteredModel("clf", "4")).rejects.toBeInstanceOf(ModelVersionNotFound);
    await expect(tracker.loadRegisteredModel("clf", "0")).rejects.toBeInstanceOf(ModelVersionNotFound);
    await expect(tracker.loadRegisteredModel("clf", "@nobody")).rejects.toBeInstanceOf(ModelVersionNotFound);
  });

  test("another tracker on the same folder loads the same model", async () => {
    await threeVersions();
    expect(await store.reopen().loadRegisteredModel("clf", "1")).toEqual({ v: 1 });
  });
});

describe("model version tags", () => {
  async function oneVersion() {
    const runId = await runWithModels({ "m.json": { w: 1 } });
    await tracker.registerModel(runId, "m.json", "tagme", { a: "1" });
  }

  test("addModelTags merges and returns the merged tags", async () => {
    await oneVersion();
    expect(await tracker.addModelTags("tagme", "1", { b: "2" })).toEqual({ a: "1", b: "2" });
    expect(await tracker.addModelTags("tagme", "1", { a: "changed" })).toEqual({ a: "changed", b: "2" });
    expect(await tracker.getModelTags("tagme", "1")).toEqual({ a: "changed", b: "2" });
    expect((await tracker.getModelVersions("tagme"))[0]!.tags).toEqual({ a: "changed", b: "2" });
  });

  test("removeModelTags removes keys and returns what is left (unknown keys are ignored)", async () => {
    await oneVersion();
    await tracker.addModelTags("tagme", "1", { b: "2", c: "3" });
    expect(await tracker.removeModelTags("tagme", "1", ["a", "c", "never-set"])).toEqual({ b: "2" });
    expect(await store.reopen().getModelTags("tagme", "1")).toEqual({ b: "2" });
  });

  test.each([
    ["addModelTags", (t: RuneLog, m: string, v: string) => t.addModelTags(m, v, { x: "y" })],
    ["removeModelTags", (t: RuneLog, m: string, v: string) => t.removeModelTags(m, v, ["a"])],
    ["getModelTags", (t: RuneLog, m: string, v: string) => t.getModelTags(m, v)],
  ] as const)("%s of an unknown version or model throws ModelVersionNotFound", async (_call, fn) => {
    await oneVersion();
    expect(await caught(() => fn(tracker, "tagme", "2"))).toBeInstanceOf(ModelVersionNotFound);
    expect(await caught(() => fn(tracker, "nobody", "1"))).toBeInstanceOf(ModelVersionNotFound);
    expect(await tracker.getModelTags("tagme", "1")).toEqual({ a: "1" });
  });
});

describe("model aliases", () => {
  async function twoVersions() {
    const runId = await runWithModels({ "a.json": "A", "b.json": "B" });
    await tracker.registerModel(runId, "a.json", "aliased");
    await tracker.registerModel(runId, "b.json", "aliased");
  }
  const aliasesByVersion = async (t: RuneLog = tracker) =>
    Object.fromEntries((await t.getModelVersions("aliased", { ascending: true })).map((v) => [v.version, v.aliases]));

  test("setModelAlias moves an alias: only one version holds it at a time", async () => {
    await twoVersions();
    await tracker.setModelAlias("aliased", "champion", "1");
    expect(await aliasesByVersion()).toEqual({ 1: ["champion"], 2: [] });
    expect(await tracker.loadRegisteredModel("aliased", "@champion")).toBe("A");

    await tracker.setModelAlias("aliased", "champion", "2");
    expect(await aliasesByVersion()).toEqual({ 1: [], 2: ["champion"] });
    expect(await aliasesByVersion(store.reopen())).toEqual({ 1: [], 2: ["champion"] });
    expect(await tracker.loadRegisteredModel("aliased", "@champion")).toBe("B");
  });

  test("a version can hold several aliases", async () => {
    await twoVersions();
    await tracker.setModelAlias("aliased", "prod", "1");
    await tracker.setModelAlias("aliased", "best", "1");
    expect(await aliasesByVersion()).toEqual({ 1: ["best", "prod"], 2: [] });
  });

  test("deleteModelAlias removes it: the version no longer lists it and @alias no longer loads", async () => {
    await twoVersions();
    await tracker.setModelAlias("aliased", "champion", "2");
    await tracker.deleteModelAlias("aliased", "champion");
    expect(await aliasesByVersion()).toEqual({ 1: [], 2: [] });
    await expect(tracker.loadRegisteredModel("aliased", "@champion")).rejects.toBeInstanceOf(ModelVersionNotFound);
  });

  test("setModelAlias on an unknown version throws ModelVersionNotFound and moves nothing", async () => {
    await twoVersions();
    await tracker.setModelAlias("aliased", "champion", "1");
    await expect(tracker.setModelAlias("aliased", "champion", "3")).rejects.toBeInstanceOf(ModelVersionNotFound);
    await expect(tracker.setModelAlias("nobody", "champion", "1")).rejects.toBeInstanceOf(RuneLogError);
    expect(await aliasesByVersion()).toEqual({ 1: ["champion"], 2: [] });
  });

  test("deleteModelAlias of an unknown model or alias fails with a RuneLogError", async () => {
    await twoVersions();
    await expect(tracker.deleteModelAlias("nobody", "champion")).rejects.toBeInstanceOf(ModelNotFound);
    await expect(tracker.deleteModelAlias("aliased", "never-set")).rejects.toBeInstanceOf(RuneLogError);
  });

  test.each(["latest", "@x", "3"])("an alias that would read as a version (%j) is InvalidInput", async (alias) => {
    await twoVersions();
    const err = await caught(() => tracker.setModelAlias("aliased", alias, "1"));
    expect(err).toBeInstanceOf(runelog.InvalidInput);
    expect((err as Error).message).toContain("alias");
  });
});

// Model names, versions and artifact names are looked up in keyed maps: a name that is also a property
// of Object.prototype ("constructor", "toString", …) must behave like any other name.
describe("names that are Object.prototype properties", () => {
  const PROTO_NAMES = ["constructor", "toString", "hasOwnProperty"];

  test.each(PROTO_NAMES)("an unknown model %j: getModelVersions gives [], loadRegisteredModel throws ModelNotFound", async (name) => {
    expect(await tracker.getModelVersions(name)).toEqual([]);
    expect(await caught(() => tracker.loadRegisteredModel(name))).toBeInstanceOf(ModelNotFound);
    expect(await caught(() => tracker.deleteModelAlias(name, "champion"))).toBeInstanceOf(ModelNotFound);
  });

  test.each(PROTO_NAMES)("an unknown version %j throws ModelVersionNotFound and writes nothing", async (version) => {
    const runId = await runWithModels({ "m.json": 1 });
    await tracker.registerModel(runId, "m.json", "mm");
    const registry = (await tracker.getModelVersions("mm")).length;
    expect(await caught(() => tracker.getModelTags("mm", version))).toBeInstanceOf(ModelVersionNotFound);
    expect(await caught(() => tracker.loadRegisteredModel("mm", version))).toBeInstanceOf(ModelVersionNotFound);
    expect(await caught(() => tracker.addModelTags("mm", version, { a: "b" }))).toBeInstanceOf(ModelVersionNotFound);
    expect(await caught(() => tracker.setModelAlias("mm", "champion", version))).toBeInstanceOf(ModelVersionNotFound);
    expect(await caught(() => tracker.loadRegisteredModel("mm", "@champion"))).toBeInstanceOf(ModelVersionNotFound);
    expect((await tracker.getModelVersions("mm")).length).toBe(registry);
  });

  test.each(PROTO_NAMES)("registerModel of an unknown artifact %j throws ArtifactNotFound", async (artifact) => {
    const runId = await runWithModels({ "m.json": 1 });
    expect(await caught(() => tracker.registerModel(runId, artifact, "mm"))).toBeInstanceOf(ArtifactNotFound);
  });

  test.each(PROTO_NAMES)("a model named %j registers, loads, and leaves the registry readable", async (name) => {
    const runId = await runWithModels({ "m.json": { ok: name } });
    await tracker.registerModel(runId, "m.json", "before");
    expect(await tracker.registerModel(runId, "m.json", name)).toBe("1");
    expect(await tracker.registerModel(runId, "m.json", name)).toBe("2");
    for (const t of [tracker, store.reopen()]) {
      expect(await t.listRegisteredModels()).toEqual(["before", name].sort());
      expect((await t.getModelVersions(name)).map((v) => v.version)).toEqual(["2", "1"]);
      expect(await t.loadRegisteredModel(name)).toEqual({ ok: name });
      expect(await t.loadRegisteredModel("before")).toEqual({ ok: name });
    }
  });
});

describe("errors", () => {
  const names = [
    "ExperimentNotFound", "RunNotFound", "ArtifactNotFound", "ModelNotFound", "NoVersionsFound", "ModelVersionNotFound",
    "NoActiveRun", "InvalidInput", "JournalCorrupted", "LockTimeout",
  ] as const;
  const make: Record<(typeof names)[number], () => Error> = {
    ExperimentNotFound: () => new runelog.ExperimentNotFound("exp"),
    RunNotFound: () => new runelog.RunNotFound("run"),
    ArtifactNotFound: () => new runelog.ArtifactNotFound("art"),
    ModelNotFound: () => new runelog.ModelNotFound("model"),
    NoVersionsFound: () => new runelog.NoVersionsFound("model"),
    ModelVersionNotFound: () => new runelog.ModelVersionNotFound("model", "3"),
    NoActiveRun: () => new runelog.NoActiveRun("logMetric"),
    InvalidInput: () => new runelog.InvalidInput("key", "must not be empty"),
    JournalCorrupted: () => new runelog.JournalCorrupted(".runelog/experiments/1.ndjson", 7, 1234, "bad-checksum"),
    LockTimeout: () => new runelog.LockTimeout(".runelog/catalog.ndjson", 60000),
  };

  test.each(names)("%s is exported, extends RuneLogError and Error, and has a stable string code and its name", (name) => {
    const Class = (runelog as unknown as Record<string, new (...args: never[]) => Error>)[name];
    expect(typeof Class).toBe("function");
    const err = make[name]();
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(RuneLogError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    const code = (err as RuneLogError).code;
    expect(typeof code).toBe("string");
    expect(code.length).toBeGreaterThan(0);
    expect(make[name]().message).toBe(err.message);
    expect((make[name]() as RuneLogError).code).toBe(code);
  });

  test("codes are distinct across the classes", () => {
    const codes = names.map((n) => (make[n]() as RuneLogError).code);
    expect(new Set(codes).size).toBe(names.length);
  });

  test("NoVersionsFound extends ModelNotFound", () => {
    const err = new NoVersionsFound("m");
    expect(err).toBeInstanceOf(ModelNotFound);
    expect(err).toBeInstanceOf(RuneLogError);
    expect(Object.getPrototypeOf(NoVersionsFound.prototype)).toBe(ModelNotFound.prototype);
  });

  test("JournalCorrupted names the file, the line and the byte offset", () => {
    const err = make.JournalCorrupted();
    expect(err.message).toContain(".runelog/experiments/1.ndjson");
    expect(err.message).toContain("7");
    expect(err.message).toContain("1234");
  });

  test("errors thrown by the API are these classes, with their codes", async () => {
    const e1 = await caught(() => tracker.getExperimentRuns("9999"));
    expect(e1).toBeInstanceOf(runelog.ExperimentNotFound);
    expect((e1 as RuneLogError).code).toBe((make.ExperimentNotFound() as RuneLogError).code);
    const e2 = await caught(() => tracker.deleteRun(UNKNOWN_RUN));
    expect(e2).toBeInstanceOf(RunNotFound);
    expect((e2 as RuneLogError).code).toBe((make.RunNotFound() as RuneLogError).code);
  });
});
