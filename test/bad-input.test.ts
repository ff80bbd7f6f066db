/**
 * The bad-input rule of API.md: bad input gets InvalidInput with a message that names the argument,
 * and leaves every journal (every file under .runelog/) byte-for-byte unchanged.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ActiveRun, InvalidInput, RuneLog } from "../src/index.js";
import { caught, expectInvalidInput, openStore, QUIET, type TestStore } from "./helpers/api.js";
import { snapshotFiles } from "./helpers/store.js";

interface Ctx {
  tracker: RuneLog;
  /** An open run (explicit handle), so tracker-level calls have an active run too. */
  run: ActiveRun;
  /** A finished run with a file artifact "data.csv" and a model "model.json". */
  runId: string;
  /** A local file that exists. */
  file: string;
}
type Case = [label: string, argument: string, call: (c: Ctx) => unknown];

let store: TestStore;
let ctx: Ctx;

beforeAll(async () => {
  store = openStore("runelog-bad-input-");
  const tracker = store.tracker;
  const file = join(store.dir, "data.csv");
  writeFileSync(file, "a,b\n1,2\n");
  const runId = await tracker.startRun({ experimentName: "prepared", ...QUIET, tags: { t: "1" } }, async (run) => {
    await run.logParams({ lr: 0.1, layers: [1, 2] });
    await run.logMetric("loss", 0.5, { step: 1 });
    await run.logMetric("loss", NaN, { step: 2 });
    await run.logArtifact(file);
    await run.logModel({ w: [1, 2, 3] }, "model.json");
    return run.runId;
  });
  await tracker.registerModel(runId, "model.json", "reg", { stage: "dev" });
  await tracker.setModelAlias("reg", "champion", "1");
  const run = await tracker.startRun({ experimentName: "prepared", ...QUIET });
  await run.logParam("open", true);
  ctx = { tracker, run, runId, file };
});

afterAll(async () => {
  await ctx?.run.end();
  store.done();
});

/** The whole rule for one call: InvalidInput naming `argument`, and not one byte changed under .runelog/. */
async function expectRejectedUnchanged(argument: string, call: (c: Ctx) => unknown): Promise<void> {
  const before = snapshotFiles(store.storeDir);
  expect(Object.keys(before).length).toBeGreaterThan(3); // there is something to compare
  await expectInvalidInput(() => call(ctx), argument);
  expect(snapshotFiles(store.storeDir)).toEqual(before);
}

const cycle = (): unknown => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};
const deepCycle = (): unknown => {
  const arr: unknown[] = [];
  arr.push({ inner: { back: arr } });
  return { list: arr };
};
const fn = () => 1;

// -------------------------------------------------------------------------- keys

const BAD_KEYS: Array<[string, unknown]> = [
  ["empty", ""],
  ["a number", 123],
  ["null", null],
  ["undefined", undefined],
  ["251 characters", "k".repeat(251)],
  ["a newline", "a\nb"],
  ["a NUL", "a\u0000b"],
  ["a tab", "\tkey"],
  ["a DEL", "key\u007f"],
  ["a C1 control (U+009B, a terminal escape)", "key\u009b[31m"],
  ["a C1 control (U+0080)", "\u0080key"],
];

const keyCases: Case[] = BAD_KEYS.flatMap(([label, k]): Case[] => [
  [`run.logParam key ${label}`, "key", (c) => c.run.logParam(k as string, 1)],
  [`tracker.logParam key ${label}`, "key", (c) => c.tracker.logParam(k as string, 1)],
  [`run.logMetric key ${label}`, "key", (c) => c.run.logMetric(k as string, 1)],
  [`tracker.logMetric key ${label}`, "key", (c) => c.tracker.logMetric(k as string, 1)],
  [`getMetricHistory key ${label}`, "key", (c) => c.tracker.getMetricHistory(c.runId, k as string)],
]);

// Keys of records are always strings; the string cases apply.
const BAD_RECORD_KEYS = BAD_KEYS.filter(([, k]) => typeof k === "string") as Array<[string, string]>;
const recordKeyCases: Case[] = BAD_RECORD_KEYS.flatMap(([label, k]): Case[] => [
  [`logParams key ${label}`, "params", (c) => c.run.logParams({ ok: 1, [k]: 2 })],
  [`logMetrics key ${label}`, "metrics", (c) => c.run.logMetrics({ ok: 1, [k]: 2 })],
  [`setTags key ${label}`, "tags", (c) => c.run.setTags({ ok: "1", [k]: "2" })],
  [`startRun tags key ${label}`, "tags", (c) => c.tracker.startRun({ ...QUIET, experimentName: "prepared", tags: { [k]: "v" } })],
  [`addModelTags key ${label}`, "tags", (c) => c.tracker.addModelTags("reg", "1", { [k]: "v" })],
  [`registerModel tags key ${label}`, "tags", (c) => c.tracker.registerModel(c.runId, "model.json", "reg", { [k]: "v" })],
  [`removeModelTags key ${label}`, "keys", (c) => c.tracker.removeModelTags("reg", "1", ["stage", k])],
]);

// -------------------------------------------------------------------------- values

const BAD_VALUES: Array<[string, () => unknown]> = [
  ["a cycle", cycle],
  ["a cycle through an array", deepCycle],
  ["a function", () => fn],
  ["a nested function", () => ({ ok: 1, f: fn })],
  ["a BigInt", () => BigInt(1)],
  ["a nested BigInt", () => [1, { n: BigInt(2) }]],
  ["a symbol", () => Symbol("s")],
  ["undefined", () => undefined],
  ["NaN", () => NaN],
  ["a class instance", () => new Map([["a", 1]])],
];

const valueCases: Case[] = BAD_VALUES.flatMap(([label, make]): Case[] => [
  [`run.logParam value ${label}`, "value", (c) => c.run.logParam("p", make())],
  [`tracker.logParam value ${label}`, "value", (c) => c.tracker.logParam("p", make())],
  [`logParams value ${label}`, "params", (c) => c.run.logParams({ fine: 1, p: make() })],
  [`logModel model ${label}`, "model", (c) => c.run.logModel(make(), "bad-model.json")],
]);

const tagValueCases: Case[] = [
  ["setTags value a number", "tags", (c) => c.run.setTags({ k: 1 as unknown as string })],
  ["setTags value null", "tags", (c) => c.run.setTags({ k: null as unknown as string })],
  ["setTags value an object", "tags", (c) => c.run.setTags({ k: {} as unknown as string })],
  ["setTags not a record", "tags", (c) => c.run.setTags(["a"] as unknown as Record<string, string>)],
  ["addModelTags value a number", "tags", (c) => c.tracker.addModelTags("reg", "1", { k: 5 as unknown as string })],
];

// -------------------------------------------------------------------------- metrics and steps

const BAD_METRIC_VALUES: Array<[string, unknown]> = [
  ['the string "1"', "1"],
  ["null", null],
  ["undefined", undefined],
  ["a boolean", true],
  ["a BigInt", BigInt(1)],
  ["an object", { v: 1 }],
];
const metricValueCases: Case[] = BAD_METRIC_VALUES.flatMap(([label, v]): Case[] => [
  [`run.logMetric value ${label}`, "value", (c) => c.run.logMetric("m", v as number)],
  [`tracker.logMetric value ${label}`, "value", (c) => c.tracker.logMetric("m", v as number)],
  [`logMetrics value ${label}`, "metrics", (c) => c.run.logMetrics({ ok: 1, m: v as number })],
]);

const BAD_STEPS: Array<[string, unknown]> = [
  ["1.5", 1.5],
  ["2**53", 2 ** 53],
  ["-(2**53)", -(2 ** 53)],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ['the string "1"', "1"],
  ["null", null],
];
const stepCases: Case[] = BAD_STEPS.flatMap(([label, s]): Case[] => [
  [`logMetric step ${label}`, "step", (c) => c.run.logMetric("m", 1, { step: s as number })],
  [`tracker.logMetric step ${label}`, "step", (c) => c.tracker.logMetric("m", 1, { step: s as number })],
  [`logMetrics step ${label}`, "step", (c) => c.run.logMetrics({ m: 1 }, { step: s as number })],
]);

const timestampCases: Case[] = [
  ["logMetric timestamp a string", "timestamp", (c) => c.run.logMetric("m", 1, { timestamp: "yesterday" as unknown as number })],
  ["logMetric timestamp NaN", "timestamp", (c) => c.run.logMetric("m", 1, { timestamp: NaN })],
  ["logMetric timestamp an invalid Date", "timestamp", (c) => c.run.logMetric("m", 1, { timestamp: new Date("nope") })],
];

// -------------------------------------------------------------------------- names that would escape the store

const BAD_NAMES: Array<[string, string]> = [
  ["../x", "../x"],
  ["/abs", "/abs"],
  ["a NUL", "a\u0000b"],
  ["a/b", "a/b"],
  ["..", ".."],
  [".", "."],
  ["a\\b", "a\\b"],
  ["../../etc/passwd", "../../etc/passwd"],
  ["empty", ""],
];

const experimentNameCases: Case[] = BAD_NAMES.flatMap(([label, n]): Case[] => [
  [`getOrCreateExperiment ${label}`, "name", (c) => c.tracker.getOrCreateExperiment(n)],
  [`startRun experimentName ${label}`, "experimentName", (c) => c.tracker.startRun({ ...QUIET, experimentName: n })],
  [`startRun experimentName ${label} (callback form)`, "experimentName", (c) => c.tracker.startRun({ ...QUIET, experimentName: n }, async () => 1)],
]);

// Artifact names may hold folders ("plots/loss.png"), so "a/b" is fine there; these are not.
const BAD_ARTIFACT_NAMES: Array<[string, string]> = [
  ...BAD_NAMES.filter(([label]) => label !== "a/b"),
  ["an empty folder a//b", "a//b"],
  ["a trailing slash", "plots/"],
  ["a .. segment inside", "plots/../x"],
  ["a . segment inside", "plots/./x"],
  ["a segment of 256 bytes", "é".repeat(128)],
  ["250 characters of 3 bytes each", "€".repeat(250)],
  ["a lone high surrogate", "x\ud800"],
  ["a lone low surrogate", "x\udc00"],
  ["a C1 control", "x\u009by"],
];

const artifactNameCases: Case[] = BAD_ARTIFACT_NAMES.flatMap(([label, n]): Case[] => [
  [`run.logArtifact name ${label}`, "name", (c) => c.run.logArtifact(c.file, { name: n })],
  [`tracker.logArtifact name ${label}`, "name", (c) => c.tracker.logArtifact(c.file, { name: n })],
  [`run.logModel name ${label}`, "name", (c) => c.run.logModel({ w: 1 }, n)],
  [`logModel bytes name ${label}`, "name", (c) => c.run.logModel(new Uint8Array([1, 2]), n)],
  [`getArtifactAbspath artifactName ${label}`, "artifactName", (c) => c.tracker.getArtifactAbspath(c.runId, n)],
  [`registerModel artifactName ${label}`, "artifactName", (c) => c.tracker.registerModel(c.runId, n, "reg")],
]);

const BAD_MODEL_NAMES: Array<[string, string]> = [
  ...BAD_NAMES,
  ["250 characters of 3 bytes each", "€".repeat(250)],
  ["a lone surrogate", "m\udc00"],
];
const modelNameCases: Case[] = BAD_MODEL_NAMES.flatMap(([label, n]): Case[] => [
  [`registerModel modelName ${label}`, "modelName", (c) => c.tracker.registerModel(c.runId, "model.json", n)],
  [`getModelVersions modelName ${label}`, "modelName", (c) => c.tracker.getModelVersions(n)],
  [`loadRegisteredModel modelName ${label}`, "modelName", (c) => c.tracker.loadRegisteredModel(n)],
  [`addModelTags modelName ${label}`, "modelName", (c) => c.tracker.addModelTags(n, "1", { a: "b" })],
  [`removeModelTags modelName ${label}`, "modelName", (c) => c.tracker.removeModelTags(n, "1", ["stage"])],
  [`getModelTags modelName ${label}`, "modelName", (c) => c.tracker.getModelTags(n, "1")],
  [`setModelAlias modelName ${label}`, "modelName", (c) => c.tracker.setModelAlias(n, "champion", "1")],
  [`deleteModelAlias modelName ${label}`, "modelName", (c) => c.tracker.deleteModelAlias(n, "champion")],
  [`setModelAlias alias ${label}`, "alias", (c) => c.tracker.setModelAlias("reg", n, "1")],
  [`deleteModelAlias alias ${label}`, "alias", (c) => c.tracker.deleteModelAlias("reg", n)],
]);

// -------------------------------------------------------------------------- ids and options

const BAD_IDS: Array<[string, unknown]> = [
  ["empty", ""],
  ["a number", 42],
  ["null", null],
];
const idCases: Case[] = BAD_IDS.flatMap(([label, id]): Case[] => [
  [`getRun runId ${label}`, "runId", (c) => c.tracker.getRun(id as string)],
  [`deleteRun runId ${label}`, "runId", (c) => c.tracker.deleteRun(id as string)],
  [`resumeRun runId ${label}`, "runId", (c) => c.tracker.resumeRun(id as string)],
  [`registerModel runId ${label}`, "runId", (c) => c.tracker.registerModel(id as string, "model.json", "reg")],
  [`deleteExperiment nameOrId ${label}`, "nameOrId", (c) => c.tracker.deleteExperiment(id as string)],
  [`loadResults experimentNameOrId ${label}`, "experimentNameOrId", (c) => c.tracker.loadResults(id as string)],
  [`startRun experimentId ${label}`, "experimentId", (c) => c.tracker.startRun({ ...QUIET, experimentId: id as string })],
]);

const optionCases: Case[] = [
  ["startRun unknown option", "options.experiment", (c) => c.tracker.startRun({ ...QUIET, experiment: "x" } as never)],
  ["startRun logGitMeta not a boolean", "logGitMeta", (c) => c.tracker.startRun({ logCode: false, logGitMeta: "yes" as unknown as boolean })],
  ["logModel compress 10", "compress", (c) => c.run.logModel({ w: 1 }, "m2.json", { compress: 10 })],
  ["logModel compress -1", "compress", (c) => c.run.logModel({ w: 1 }, "m2.json", { compress: -1 })],
  ["logModel compress 1.5", "compress", (c) => c.run.logModel({ w: 1 }, "m2.json", { compress: 1.5 })],
  ["logModel serializer without deserialize", "serializer", (c) => c.run.logModel({ w: 1 }, "m2.json", { serializer: { serialize: () => new Uint8Array() } as never })],
  ["run.end status", "status", (c) => c.run.end("DONE" as never)],
  ["getExperimentSummaries sortBy", "sortBy", (c) => c.tracker.getExperimentSummaries({ sortBy: "bogus" })],
  ["loadResults sortBy", "sortBy", (c) => c.tracker.loadResults("prepared", { sortBy: "metrics.nope" })],
  ["getModelVersions sortBy", "sortBy", (c) => c.tracker.getModelVersions("reg", { sortBy: "nope" })],
  ["listRegisteredModels ascending", "ascending", (c) => c.tracker.listRegisteredModels({ ascending: "yes" as unknown as boolean })],
];

// -------------------------------------------------------------------------- hostile values (issue 8)

const sym = Symbol("k");
/** A value whose getter answers differently each time it is read: fine first, then `later`. */
const shifty = (later: unknown): Record<string, unknown> => {
  let reads = 0;
  return Object.defineProperty({}, "p", { enumerable: true, get: () => (reads++ === 0 ? 1 : later) });
};
const throwingAt = (key: string): Record<string, unknown> =>
  Object.defineProperty({}, key, { enumerable: true, get: () => { throw new Error("user's own error"); } });
const throwing = (): Record<string, unknown> => throwingAt("p");
/** A Proxy whose keys change between reads: valid keys first, then one with a newline. */
const keyShifter = (): Record<string, unknown> => {
  let calls = 0;
  return new Proxy({} as Record<string, unknown>, {
    ownKeys: () => (calls++ === 0 ? ["ok"] : ["evil\nkey"]),
    getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true, writable: true }),
    get: () => 1,
  });
};
const revoked = (): Record<string, unknown> => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? { a: v } : [v];
  return v;
};

const hostileCases: Case[] = [
  ["logParams with a symbol key", "params", (c) => c.run.logParams({ [sym]: 1 } as never)],
  ["logParams with a symbol key next to a string key", "params", (c) => c.run.logParams({ ok: 1, [sym]: 2 } as never)],
  ["logMetrics with a symbol key", "metrics", (c) => c.run.logMetrics({ [sym]: 1 } as never)],
  ["setTags with a symbol key", "tags", (c) => c.run.setTags({ [sym]: "v" } as never)],
  ["a nested symbol key in a param", "value", (c) => c.run.logParam("p", { inner: { [sym]: 1 } })],
  ["logParams: a getter that throws", "params", (c) => c.run.logParams(throwing())],
  ["logParam: a value with a getter that throws", "value", (c) => c.run.logParam("p", { x: throwing() })],
  ["logMetrics: a getter that throws", "metrics", (c) => c.run.logMetrics(throwing() as never)],
  ["setTags: a getter that throws", "tags", (c) => c.run.setTags(throwing() as never)],
  ["logModel: a getter that throws", "model", (c) => c.run.logModel({ w: throwing() }, "getter.json")],
  ["logParams: a revoked Proxy", "params", (c) => c.run.logParams(revoked())],
  // Only `step` and `timestamp` are read from metric options (an unknown key is never touched).
  ["logMetric options: a step getter that throws", "options", (c) => c.run.logMetric("m", 1, throwingAt("step") as never)],
  ["logMetrics options: a timestamp getter that throws", "options", (c) => c.run.logMetrics({ m: 1 }, throwingAt("timestamp") as never)],
  ["logMetric options: a revoked Proxy", "options", (c) => c.run.logMetric("m", 1, revoked() as never)],
  ["logMetric timestamp: a revoked Proxy", "timestamp", (c) => c.run.logMetric("m", 1, { timestamp: revoked() as never })],
  ["logParam: 1,001 levels deep", "value", (c) => c.run.logParam("p", nested(1001))],
  ["logParam: 2,500 levels deep", "value", (c) => c.run.logParam("p", nested(2500))],
  ["logParam: 100,000 levels deep", "value", (c) => c.run.logParam("p", nested(100_000))],
  ["logParams: 100,000 levels deep", "params", (c) => c.run.logParams({ p: nested(100_000) })],
  ["logModel: 100,000 levels deep", "model", (c) => c.run.logModel(nested(100_000), "deep.json")],
  ["logMetric timestamp 1e300", "timestamp", (c) => c.run.logMetric("m", 1, { timestamp: 1e300 })],
  ["logMetric timestamp 8.64e15 + 1", "timestamp", (c) => c.run.logMetric("m", 1, { timestamp: 8.64e15 + 1 })],
  ["logMetrics timestamp -1e300", "timestamp", (c) => c.run.logMetrics({ m: 1 }, { timestamp: -1e300 })],
  ["asOf(1e300)", "when", (c) => c.tracker.asOf(1e300)],
  ["events since 1e300", "since", (c) => c.tracker.events({ since: 1e300 })],
  ["events until -1e300", "until", (c) => c.tracker.events({ until: -1e300 })],
  ["getOrCreateExperiment all digits", "name", (c) => c.tracker.getOrCreateExperiment("0")],
  ["getOrCreateExperiment all digits (42)", "name", (c) => c.tracker.getOrCreateExperiment("42")],
  ["startRun experimentName all digits", "experimentName", (c) => c.tracker.startRun({ ...QUIET, experimentName: "7" })],
];

describe("what is checked is what is stored: a getter or Proxy that changes between reads", () => {
  let fresh: TestStore;
  beforeEach(() => (fresh = openStore("runelog-hostile-")));
  afterEach(() => fresh.done());

  test.each<[string, () => Record<string, unknown>]>([
    ["a getter that turns into a BigInt", () => shifty(BigInt(1))],
    ["a getter that turns into a function", () => shifty(fn)],
    ["a Proxy whose keys turn into one with a newline", keyShifter],
  ])("%s: the value read once is stored, nothing else reaches the journal", async (_label, make) => {
    const runId = await fresh.tracker.startRun({ ...QUIET }, async (run) => {
      await run.logParams(make());
      return run.runId;
    });
    expect(Object.entries((await fresh.tracker.getRun(runId))!.params)).toEqual([[expect.stringMatching(/^(p|ok)$/), 1]]);
    const journal = readFileSync(join(fresh.storeDir, "experiments", "0.ndjson"), "utf8");
    expect(journal).not.toContain("evil");
    expect(journal).toMatch(/"params":\{"(p|ok)":1\}/);
  });
});

describe("hostile values: symbol keys, getters, Proxies, deep nesting, instants a Date cannot hold, all-digit names", () => {
  test.each(hostileCases)("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
});

describe("bad input → InvalidInput naming the argument, and not one byte changed", () => {
  describe("keys: empty, non-string, over 250 characters, control characters", () => {
    test.each([...keyCases, ...recordKeyCases])("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("values that cannot be serialized: cycles, functions, BigInt", () => {
    test.each([...valueCases, ...tagValueCases])("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("metric values that are not numbers", () => {
    test.each(metricValueCases)("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("steps that are not safe integers, and bad timestamps", () => {
    test.each([...stepCases, ...timestampCases])("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("names that would escape the store: experiment names", () => {
    test.each(experimentNameCases)("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("names that would escape the store: artifact names", () => {
    test.each(artifactNameCases)("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("names that would escape the store: model names and aliases", () => {
    test.each(modelNameCases)("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  describe("ids and options", () => {
    test.each([...idCases, ...optionCases])("%s", async (_label, argument, call) => expectRejectedUnchanged(argument, call));
  });

  test("the store is still fully readable and the open run still logs after all the rejected calls", async () => {
    const { tracker, run, runId } = ctx;
    expect(await tracker.getRun(runId)).toMatchObject({ status: "FINISHED", params: { lr: 0.1, layers: [1, 2] }, tags: { t: "1" } });
    expect(Object.is((await tracker.getRun(runId))!.metrics.loss, NaN)).toBe(true);
    expect(await tracker.loadRegisteredModel("reg", "@champion")).toEqual({ w: [1, 2, 3] });
    expect((await tracker.listExperiments()).map((e) => e.name)).toEqual(["Default", "prepared"]);
    expect(await tracker.listRegisteredModels()).toEqual(["reg"]);
    expect((await tracker.getModelVersions("reg")).map((v) => v.version)).toEqual(["1"]);
    const other = store.reopen();
    expect((await other.getExperimentRuns((await other.listExperiments())[1]!.experimentId)).length).toBe(2);
    expect((await other.getRun(run.runId))!.params).toEqual({ open: true });
  });
});

describe("the limits themselves are accepted", () => {
  let fresh: TestStore;
  beforeEach(() => (fresh = openStore("runelog-limits-")));
  afterEach(() => fresh.done());

  test("a key of exactly 250 characters, unicode keys and names, and steps at ±(2**53 - 1)", async () => {
    const t = fresh.tracker;
    const long = "k".repeat(250);
    const id = await t.startRun({ ...QUIET, experimentName: "ünïcødé ✓" }, async (run) => {
      await run.logParam(long, 1);
      await run.logMetric("m", 1, { step: Number.MAX_SAFE_INTEGER });
      await run.logMetric("m", 2, { step: Number.MIN_SAFE_INTEGER });
      await run.setTags({ "ключ": "значение" });
      await run.logModel({ ok: true }, "модель.json");
      return run.runId;
    });
    const details = (await t.getRunDetails(id))!;
    expect(details.params[long]).toBe(1);
    expect(details.metrics.m).toBe(1);
    expect(details.metricHistory.m!.map((p) => p.step)).toEqual([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);
    expect(details.tags).toEqual({ "ключ": "значение" });
    expect(details.artifacts).toEqual(["модель.json"]);
    expect(await t.registerModel(id, "модель.json", "mødel")).toBe("1");
  });

  test("values nested exactly MAX_DEPTH (1,000) levels, folder artifact names, 255-byte segments and instants at a Date's bounds", async () => {
    const t = fresh.tracker;
    const deep = nested(1000);
    const seg = "é".repeat(127) + "x"; // 255 bytes
    const id = await t.startRun({ ...QUIET, experimentName: "e1" }, async (run) => {
      await run.logParam("deep", deep);
      await run.logModel(deep, `plots/${seg}/model.json`);
      await run.logMetric("m", 1, { timestamp: 8.64e15 });
      await run.logMetric("m", 2, { timestamp: -8.64e15 });
      return run.runId;
    });
    const other = fresh.reopen();
    expect((await other.getRun(id))!.params.deep).toEqual(deep);
    expect(await other.loadModel(id, `plots/${seg}/model.json`)).toEqual(deep);
    expect((await other.getMetricHistory(id, "m")).map((p) => p.timestamp)).toEqual([8.64e15, -8.64e15]);
    const path = await other.getArtifactAbspath(id, `plots/${seg}/model.json`);
    expect(path.startsWith(fresh.storeDir + "/")).toBe(true);
    expect(path.endsWith(`/plots/${seg}/model.json`)).toBe(true);
    expect(await other.asOf(8.64e15).getRun(id)).not.toBeNull();
  });
});

test("control: a valid call does change the snapshot (so the comparisons above can fail)", async () => {
  const fresh = openStore("runelog-control-");
  try {
    const run = await fresh.tracker.startRun({ ...QUIET });
    const before = snapshotFiles(fresh.storeDir);
    await run.logParam("k", 1);
    expect(snapshotFiles(fresh.storeDir)).not.toEqual(before);
    await run.end();
  } finally {
    fresh.done();
  }
});

describe("not-found errors also leave the store unchanged", () => {
  test.each<[string, (c: Ctx) => unknown]>([
    ["logArtifact of a missing file", (c) => c.run.logArtifact(join(store.dir, "missing.bin"))],
    ["registerModel of a missing artifact", (c) => c.tracker.registerModel(c.runId, "nope.json", "reg")],
    ["registerModel of an unknown run", (c) => c.tracker.registerModel("01HZZZZZZZZZZZZZZZZZZZZZZZ", "model.json", "reg")],
    ["startRun in an unknown experiment", (c) => c.tracker.startRun({ ...QUIET, experimentId: "777" })],
    ["addModelTags of an unknown version", (c) => c.tracker.addModelTags("reg", "9", { a: "b" })],
    ["setModelAlias to an unknown version", (c) => c.tracker.setModelAlias("reg", "champion", "9")],
    ["deleteExperiment of an unknown name", (c) => c.tracker.deleteExperiment("no-such")],
  ])("%s", async (_label, call) => {
    const before = snapshotFiles(store.storeDir);
    const err = await caught(() => call(ctx));
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(InvalidInput);
    expect(snapshotFiles(store.storeDir)).toEqual(before);
  });
});

// A Promise-returning call reports bad input through its promise. A synchronous throw escapes
// `run.logMetric(...).catch(handler)` and breaks loops of unawaited (group-commit) calls.
test.each<[string, (c: Ctx) => unknown]>([
  ["run.logParam", (c) => c.run.logParam("", 1)],
  ["run.logMetric", (c) => c.run.logMetric("m", "1" as unknown as number)],
  ["run.setTags", (c) => c.run.setTags({ "": "v" })],
])("%s with bad input returns a rejected promise instead of throwing synchronously", async (_label, call) => {
  let returned: unknown;
  expect(() => {
    returned = call(ctx);
  }).not.toThrow();
  await expect(returned).rejects.toBeInstanceOf(InvalidInput);
});
