/** Runs: starting, resuming, logging and reading runs, as API.md describes them. */
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { basename, join, sep } from "node:path";
import {
  ActiveRun, ArtifactNotFound, ExperimentNotFound, InvalidInput, NoActiveRun, RunNotFound, RuneLog, type ModelSerializer,
} from "../src/index.js";
import { caught, inDirectory, journalEvents, nextMillisecond, openStore, QUIET, type TestStore, withEnv } from "./helpers/api.js";
import { removeDir, tempDir } from "./helpers/store.js";

let store: TestStore;
let tracker: RuneLog;
beforeEach(() => {
  store = openStore();
  tracker = store.tracker;
});
afterEach(() => store.done());

/** Lets other tasks run, so concurrent callbacks interleave. */
const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

describe("startRun, callback form", () => {
  test("the run is active inside fn, ends FINISHED, and startRun resolves to fn's result", async () => {
    let seen: ActiveRun | null = null;
    const result = await tracker.startRun({ experimentName: "cb", ...QUIET }, async (run) => {
      seen = tracker.activeRun();
      await tracker.logParam("lr", 0.01);
      await run.logMetric("loss", 0.31, { step: 1 });
      expect((await tracker.getRun(run.runId))!.status).toBe("RUNNING");
      return { answer: 42, runId: run.runId };
    });
    expect(result.answer).toBe(42);
    expect(seen).not.toBeNull();
    expect(seen!.runId).toBe(result.runId);
    const run = await tracker.getRun(result.runId);
    expect(run).toMatchObject({ status: "FINISHED", params: { lr: 0.01 }, metrics: { loss: 0.31 } });
    expect(run!.endTime).not.toBeNull();
    expect(tracker.activeRun()).toBeNull();
  });

  test("a synchronous fn works too", async () => {
    const id = await tracker.startRun({ ...QUIET }, (run) => run.runId);
    expect((await tracker.getRun(id))!.status).toBe("FINISHED");
  });

  test("two concurrent runs in one process never mix their tracker-level logging", async () => {
    const body = (tag: string) => async (run: ActiveRun) => {
      for (let i = 0; i < 20; i++) {
        await tracker.logParam(`p${i}`, `${tag}-${i}`);
        await yieldTurn();
        await tracker.logMetric("m", i, { step: i });
        await tracker.setTags({ owner: tag });
        expect(tracker.activeRun()!.runId).toBe(run.runId);
      }
      return run.runId;
    };
    const [a, b] = await Promise.all([
      tracker.startRun({ experimentName: "concurrent", ...QUIET }, body("A")),
      tracker.startRun({ experimentName: "concurrent", ...QUIET }, body("B")),
    ]);
    expect(a).not.toBe(b);
    for (const [id, tag] of [[a, "A"], [b, "B"]] as const) {
      const run = (await tracker.getRunDetails(id))!;
      expect(run.status).toBe("FINISHED");
      expect(Object.values(run.params).every((v) => String(v).startsWith(`${tag}-`))).toBe(true);
      expect(Object.keys(run.params)).toHaveLength(20);
      expect(run.tags.owner).toBe(tag);
      expect(run.metricHistory.m!.map((p) => p.value)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  test("when fn throws, the run ends FAILED and the error is rethrown as is", async () => {
    const boom = new Error("boom");
    let runId = "";
    const err = await tracker
      .startRun({ experimentName: "fails", ...QUIET }, async (run) => {
        runId = run.runId;
        await run.logParam("x", 1);
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(await tracker.getRun(runId)).toMatchObject({ status: "FAILED", params: { x: 1 } });
    expect(tracker.activeRun()).toBeNull();
  });

  test("a run that fn ends itself keeps the status fn gave it", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.end("KILLED");
      return run.runId;
    });
    expect((await tracker.getRun(id))!.status).toBe("KILLED");
  });

  test("nested runs record the parent run id; the outer run is active again after the inner ends", async () => {
    const ids = await tracker.startRun({ experimentName: "nest", ...QUIET }, async (outer) => {
      const inner = await tracker.startRun({ experimentName: "nest", ...QUIET }, async (innerRun) => {
        await tracker.logParam("who", "inner");
        return innerRun.runId;
      });
      await tracker.logParam("who", "outer");
      return { outer: outer.runId, inner };
    });
    const outer = (await tracker.getRunDetails(ids.outer))!;
    const inner = (await tracker.getRunDetails(ids.inner))!;
    expect(outer.parentRunId).toBeNull();
    expect(inner.parentRunId).toBe(ids.outer);
    expect(outer.params).toEqual({ who: "outer" });
    expect(inner.params).toEqual({ who: "inner" });
    expect(inner.status).toBe("FINISHED");
  });

  test("tags given to startRun are the run's tags", async () => {
    const id = await tracker.startRun({ ...QUIET, tags: { team: "vision", stage: "dev" } }, async (run) => run.runId);
    expect(await tracker.getRunTags(id)).toEqual({ team: "vision", stage: "dev" });
  });
});

describe("startRun, explicit handle form", () => {
  test("resolves to an ActiveRun with runId and experimentId; end() finishes it", async () => {
    const expId = await tracker.getOrCreateExperiment("handle");
    const run = await tracker.startRun({ experimentName: "handle", ...QUIET });
    expect(run).toBeInstanceOf(ActiveRun);
    expect(run.experimentId).toBe(expId);
    expect(run.runId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/); // a ULID
    await run.logMetric("acc", 0.9);
    await tracker.logParam("via", "tracker"); // the handle is the active run
    expect((await tracker.getRun(run.runId))!.status).toBe("RUNNING");
    await run.end();
    expect(await tracker.getRun(run.runId)).toMatchObject({ status: "FINISHED", metrics: { acc: 0.9 }, params: { via: "tracker" } });
    expect(await caught(() => tracker.logParam("after", 1))).toBeInstanceOf(NoActiveRun);
  });

  test('end("FAILED") marks it FAILED', async () => {
    const run = await tracker.startRun({ ...QUIET });
    await run.end("FAILED");
    expect((await tracker.getRun(run.runId))!.status).toBe("FAILED");
  });

  test("run ids are unique across experiments", async () => {
    const ids = new Set<string>();
    for (const experimentName of ["u1", "u2", "u1", "u2"]) {
      const run = await tracker.startRun({ experimentName, ...QUIET });
      await run.end();
      ids.add(run.runId);
    }
    expect(ids.size).toBe(4);
  });
});

describe("startRun options", () => {
  test("experimentName creates the experiment when it does not exist", async () => {
    const run = await tracker.startRun({ experimentName: "fresh", ...QUIET });
    await run.end();
    expect(await tracker.getExperiment(run.experimentId)).toMatchObject({ name: "fresh" });
  });

  test("experimentId logs into that experiment", async () => {
    const id = await tracker.getOrCreateExperiment("by-id");
    const run = await tracker.startRun({ experimentId: id, ...QUIET });
    await run.end();
    expect(run.experimentId).toBe(id);
  });

  test("an unknown experimentId throws ExperimentNotFound and starts no run", async () => {
    await expect(tracker.startRun({ experimentId: "12345", ...QUIET })).rejects.toBeInstanceOf(ExperimentNotFound);
    expect((await tracker.getExperimentSummaries()).every((s) => s.numRuns === 0)).toBe(true);
  });

  test("experimentName wins over experimentId (even an unknown id)", async () => {
    const other = await tracker.getOrCreateExperiment("other");
    const run = await tracker.startRun({ experimentName: "winner", experimentId: other, ...QUIET });
    await run.end();
    expect(run.experimentId).not.toBe(other);
    expect((await tracker.getExperiment(run.experimentId))!.name).toBe("winner");
    const run2 = await tracker.startRun({ experimentName: "winner", experimentId: "999", ...QUIET });
    await run2.end();
    expect(run2.experimentId).toBe(run.experimentId);
  });
});

describe("tracker-level calls outside a run throw NoActiveRun", () => {
  test.each([
    ["logParam", (t: RuneLog) => t.logParam("k", 1)],
    ["logParams", (t: RuneLog) => t.logParams({ k: 1 })],
    ["logMetric", (t: RuneLog) => t.logMetric("k", 1)],
    ["logMetrics", (t: RuneLog) => t.logMetrics({ k: 1 })],
    ["setTags", (t: RuneLog) => t.setTags({ k: "v" })],
    ["logArtifact", (t: RuneLog) => t.logArtifact(__filename)],
    ["logModel", (t: RuneLog) => t.logModel({ a: 1 }, "m")],
    ["getRunTags", (t: RuneLog) => t.getRunTags()],
  ] as const)("%s", async (call, fn) => {
    let err: unknown;
    try {
      await fn(tracker);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoActiveRun);
    expect((err as NoActiveRun).code).toBe("NO_ACTIVE_RUN");
    expect((err as Error).message).toContain(call);
  });

  test("also after a callback run has ended", async () => {
    await tracker.startRun({ ...QUIET }, async () => {});
    expect(await caught(() => tracker.logMetric("k", 1))).toBeInstanceOf(NoActiveRun);
  });

  // Promise-returning calls must report failure through the promise: `tracker.logMetric(...).catch(h)`
  // and fire-and-forget group-commit loops break when the error is thrown synchronously instead.
  test.each([
    ["logParam", (t: RuneLog) => t.logParam("k", 1)],
    ["logMetric", (t: RuneLog) => t.logMetric("k", 1)],
    ["setTags", (t: RuneLog) => t.setTags({ k: "v" })],
  ] as const)("%s returns a rejected promise (it does not throw synchronously)", async (_call, fn) => {
    let returned: unknown;
    expect(() => {
      returned = fn(tracker);
    }).not.toThrow();
    expect(returned).toBeInstanceOf(Promise);
    await expect(returned).rejects.toBeInstanceOf(NoActiveRun);
  });
});

describe("resumeRun", () => {
  test("makes an existing run active again; with fn it ends when fn settles", async () => {
    const first = await tracker.startRun({ experimentName: "resume", ...QUIET }, async (run) => {
      await run.logParam("a", 1);
      return run.runId;
    });
    // Another tracker (as another process would) resumes it.
    const other = store.reopen();
    const result = await other.resumeRun(first, async (run) => {
      expect(run.runId).toBe(first);
      expect((await other.getRun(first))!.status).toBe("RUNNING");
      await other.logParam("b", 2);
      return "done";
    });
    expect(result).toBe("done");
    expect(await tracker.getRun(first)).toMatchObject({ status: "FINISHED", params: { a: 1, b: 2 } });
  });

  test("without fn resolves to the run's handle", async () => {
    const created = await tracker.startRun({ experimentName: "resume2", ...QUIET });
    await created.end();
    const again = await tracker.resumeRun(created.runId);
    expect(again.runId).toBe(created.runId);
    expect(again.experimentId).toBe(created.experimentId);
    await tracker.logMetric("later", 3);
    await again.end("FAILED");
    expect(await tracker.getRun(created.runId)).toMatchObject({ status: "FAILED", metrics: { later: 3 } });
  });

  test("when fn throws, the resumed run ends FAILED and the error is rethrown", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => run.runId);
    await expect(tracker.resumeRun(id, async () => Promise.reject(new Error("nope")))).rejects.toThrow("nope");
    expect((await tracker.getRun(id))!.status).toBe("FAILED");
  });

  test("an unknown run id throws RunNotFound", async () => {
    await expect(tracker.resumeRun("01HZZZZZZZZZZZZZZZZZZZZZZZ")).rejects.toBeInstanceOf(RunNotFound);
  });

  test("RUNELOG_RUN_ID makes startRun() resume that run instead of creating one", async () => {
    const expId = await tracker.getOrCreateExperiment("sweep");
    const parent = await tracker.startRun({ experimentName: "sweep", ...QUIET });
    await parent.end();
    const before = process.env.RUNELOG_RUN_ID;
    await withEnv("RUNELOG_RUN_ID", parent.runId, async () => {
      const trial = store.reopen();
      const got = await trial.startRun({ ...QUIET }, async (run) => {
        await trial.logParam("trial", 7);
        return run.runId;
      });
      expect(got).toBe(parent.runId);
      const handle = await trial.startRun({ ...QUIET });
      expect(handle.runId).toBe(parent.runId);
      await handle.end();
    });
    expect(process.env.RUNELOG_RUN_ID).toBe(before);
    const runs = await tracker.getExperimentRuns(expId);
    expect(runs.map((r) => r.runId)).toEqual([parent.runId]);
    expect((await tracker.getExperimentRuns("0")).length).toBe(0);
    expect(await tracker.getRun(parent.runId)).toMatchObject({ status: "FINISHED", params: { trial: 7 } });
  });
});

describe("logParam / logParams", () => {
  test("a later value for a key replaces the earlier one in views", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logParam("lr", 0.1);
      await run.logParam("lr", 0.01);
      await run.logParams({ lr: 0.001, layers: [64, 32], opt: { name: "adam", beta: 0.9 }, flag: true, none: null });
      await run.logParam("opt", "sgd");
      return run.runId;
    });
    expect((await tracker.getRun(id))!.params).toEqual({ lr: 0.001, layers: [64, 32], opt: "sgd", flag: true, none: null });
  });

  test("the history stays in the journal", async () => {
    const id = await tracker.startRun({ experimentName: "hist", ...QUIET }, async (run) => {
      await run.logParam("lr", 0.1);
      await run.logParam("lr", 0.2);
      return run.runId;
    });
    const values = journalEvents(store.storeDir)
      .filter((e) => e.type === "ParamsLogged" && e.data.runId === id)
      .map((e) => (e.data.params as Record<string, unknown>).lr);
    expect(values).toEqual([0.1, 0.2]);
  });
});

describe("logMetric / logMetrics / getMetricHistory", () => {
  test("history in logging order; the view shows the latest by step, then timestamp", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logMetric("loss", 0.9, { step: 5, timestamp: 1000 });
      await run.logMetric("loss", 0.5, { step: 3, timestamp: 2000 }); // lower step: not the latest
      await run.logMetric("acc", 0.1, { step: 2, timestamp: 5000 });
      await run.logMetric("acc", 0.2, { step: 2, timestamp: 4000 }); // same step, older time: not the latest
      await run.logMetric("acc", 0.3, { step: 2, timestamp: new Date(4500) });
      return run.runId;
    });
    expect(await tracker.getMetricHistory(id, "loss")).toEqual([
      { value: 0.9, step: 5, timestamp: 1000 },
      { value: 0.5, step: 3, timestamp: 2000 },
    ]);
    expect(await tracker.getMetricHistory(id, "acc")).toEqual([
      { value: 0.1, step: 2, timestamp: 5000 },
      { value: 0.2, step: 2, timestamp: 4000 },
      { value: 0.3, step: 2, timestamp: 4500 },
    ]);
    expect((await tracker.getRun(id))!.metrics).toEqual({ loss: 0.9, acc: 0.1 });
    expect((await store.reopen().getRun(id))!.metrics).toEqual({ loss: 0.9, acc: 0.1 });
  });

  test("a higher step wins even with an older timestamp; equal step and time: the later logged wins", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logMetric("m", 1, { step: 1, timestamp: 9000 });
      await run.logMetric("m", 2, { step: 2, timestamp: 1000 });
      await run.logMetric("n", 1, { step: 0, timestamp: 1000 });
      await run.logMetric("n", 2, { step: 0, timestamp: 1000 });
      return run.runId;
    });
    expect((await tracker.getRun(id))!.metrics).toEqual({ m: 2, n: 2 });
  });

  test("step defaults to 0 and timestamp to now (epoch ms)", async () => {
    const before = Date.now();
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logMetric("m", 1);
      return run.runId;
    });
    const after = Date.now();
    const [p] = await tracker.getMetricHistory(id, "m");
    expect(p!.step).toBe(0);
    expect(p!.timestamp).toBeGreaterThanOrEqual(before);
    expect(p!.timestamp).toBeLessThanOrEqual(after);
  });

  test.each([
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["-0", -0],
    ["0", 0],
    ["max", Number.MAX_VALUE],
    ["min subnormal", Number.MIN_VALUE],
    ["a float", 0.1 + 0.2],
  ])("%s is stored and read back faithfully", async (_label, value) => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logMetric("v", value, { step: 1 });
      await run.logMetrics({ w: value }, { step: 1 });
      return run.runId;
    });
    for (const t of [tracker, store.reopen()]) {
      const run = (await t.getRun(id))!;
      expect(Object.is(run.metrics.v, value)).toBe(true);
      expect(Object.is(run.metrics.w, value)).toBe(true);
      const [point] = await t.getMetricHistory(id, "v");
      expect(Object.is(point!.value, value)).toBe(true);
      const details = (await t.getRunDetails(id))!;
      expect(Object.is(details.metricHistory.w![0]!.value, value)).toBe(true);
      const table = await t.loadResults("0");
      expect(Object.is(table.get("metrics.v", 0), value)).toBe(true);
    }
  });

  test("logMetrics logs several metrics at one step", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logMetrics({ loss: 0.4, acc: 0.8 }, { step: 7 });
      await tracker.logMetrics({ loss: 0.3 }, { step: 8 });
      return run.runId;
    });
    const details = (await tracker.getRunDetails(id))!;
    expect(details.metrics).toEqual({ loss: 0.3, acc: 0.8 });
    expect(details.metricHistory.loss!.map((p) => [p.value, p.step])).toEqual([[0.4, 7], [0.3, 8]]);
    expect(details.metricHistory.acc!.map((p) => [p.value, p.step])).toEqual([[0.8, 7]]);
  });

  test("a full history of many points is kept", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await Promise.all(Array.from({ length: 200 }, (_, i) => run.logMetric("m", i, { step: i })));
      return run.runId;
    });
    const history = await tracker.getMetricHistory(id, "m");
    expect(history.map((p) => p.step).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await tracker.getRun(id))!.metrics.m).toBe(199);
  });

  test("getMetricHistory of a key never logged is []", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => run.runId);
    expect(await tracker.getMetricHistory(id, "nothing")).toEqual([]);
  });

  test("getMetricHistory of an unknown run throws RunNotFound", async () => {
    await expect(tracker.getMetricHistory("01HZZZZZZZZZZZZZZZZZZZZZZZ", "loss")).rejects.toBeInstanceOf(RunNotFound);
  });
});

describe("setTags / getRunTags", () => {
  test("tags merge, later values replace earlier ones", async () => {
    const id = await tracker.startRun({ ...QUIET, tags: { a: "1" } }, async (run) => {
      await run.setTags({ b: "2", c: "3" });
      await tracker.setTags({ c: "4" });
      expect(await tracker.getRunTags()).toEqual({ a: "1", b: "2", c: "4" }); // the active run's tags
      return run.runId;
    });
    expect(await tracker.getRunTags(id)).toEqual({ a: "1", b: "2", c: "4" });
    expect((await tracker.getRun(id))!.tags).toEqual({ a: "1", b: "2", c: "4" });
  });

  test("getRunTags of an unknown run throws RunNotFound", async () => {
    await expect(tracker.getRunTags("01HZZZZZZZZZZZZZZZZZZZZZZZ")).rejects.toBeInstanceOf(RunNotFound);
  });
});

describe("logArtifact / getArtifactAbspath", () => {
  test("copies the file into the store: later changes to the source do not reach it", async () => {
    const file = join(store.dir, "report.txt");
    writeFileSync(file, "version one\n");
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logArtifact(file);
      return run.runId;
    });
    writeFileSync(file, "version two, changed after logging\n");
    const path = await tracker.getArtifactAbspath(id, "report.txt");
    expect(readFileSync(path, "utf8")).toBe("version one\n");
    expect((await tracker.getRunDetails(id))!.artifacts).toEqual(["report.txt"]);
  });

  test("the path is inside .runelog/, its last segment is the artifact name, its bytes equal the source", async () => {
    const file = join(store.dir, "src.bin");
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
    writeFileSync(file, bytes);
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await tracker.logArtifact(file, { name: "weights.bin" });
      await run.logArtifact(file);
      return run.runId;
    });
    for (const name of ["weights.bin", "src.bin"]) {
      const path = await tracker.getArtifactAbspath(id, name);
      const root = realpathSync(store.storeDir);
      expect(realpathSync(path).startsWith(root + sep)).toBe(true);
      expect(basename(path)).toBe(name);
      expect(readFileSync(path).equals(bytes)).toBe(true);
    }
    expect((await tracker.getRunDetails(id))!.artifacts.sort()).toEqual(["src.bin", "weights.bin"]);
  });

  test("a missing local file throws ArtifactNotFound", async () => {
    const run = await tracker.startRun({ ...QUIET });
    await expect(run.logArtifact(join(store.dir, "no-such-file.txt"))).rejects.toBeInstanceOf(ArtifactNotFound);
    await run.end();
    expect((await tracker.getRunDetails(run.runId))!.artifacts).toEqual([]);
  });

  test("getArtifactAbspath: unknown artifact → ArtifactNotFound, unknown run → RunNotFound", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => run.runId);
    await expect(tracker.getArtifactAbspath(id, "ghost.txt")).rejects.toBeInstanceOf(ArtifactNotFound);
    await expect(tracker.getArtifactAbspath("01HZZZZZZZZZZZZZZZZZZZZZZZ", "ghost.txt")).rejects.toBeInstanceOf(RunNotFound);
  });
});

describe("logModel", () => {
  async function logAndRead(model: unknown, name: string, options?: Parameters<ActiveRun["logModel"]>[2]) {
    const runId = await tracker.startRun({ experimentName: "models", ...QUIET }, async (run) => {
      await run.logModel(model, name, options);
      return run.runId;
    });
    const stored = readFileSync(await tracker.getArtifactAbspath(runId, name));
    const version = await tracker.registerModel(runId, name, `m-${name.replace(/\W/g, "")}`);
    return { runId, stored, version };
  }

  test("plain data is stored as JSON, gzipped at the default level", async () => {
    const model = { weights: [0.5, -1, 2], meta: { kind: "linear" } };
    const { stored } = await logAndRead(model, "linear.json");
    expect(stored[0]).toBe(0x1f);
    expect(stored[1]).toBe(0x8b); // gzip magic
    expect(JSON.parse(gunzipSync(stored).toString("utf8"))).toEqual(model);
    expect(await tracker.loadRegisteredModel("m-linearjson")).toEqual(model);
  });

  test("compress 0 stores the JSON text as it is", async () => {
    const model = { a: 1, b: [true, null, "x"] };
    const { stored } = await logAndRead(model, "plain.json", { compress: 0 });
    expect(JSON.parse(stored.toString("utf8"))).toEqual(model);
    expect(await tracker.loadRegisteredModel("m-plainjson")).toEqual(model);
  });

  test("compress 9 gzips", async () => {
    const model = { big: Array.from({ length: 500 }, () => "same") };
    const { stored } = await logAndRead(model, "nine.json", { compress: 9 });
    expect(stored.length).toBeLessThan(Buffer.byteLength(JSON.stringify(model)));
    expect(JSON.parse(gunzipSync(stored).toString("utf8"))).toEqual(model);
    expect(await tracker.loadRegisteredModel("m-ninejson")).toEqual(model);
  });

  test.each([0, 3, 9])("a Uint8Array is stored as raw bytes (compress %i) and loads back as a Uint8Array", async (compress) => {
    const bytes = new Uint8Array([0, 1, 2, 255, 254, 0, 7]);
    const { stored } = await logAndRead(bytes, `raw${compress}.bin`, { compress });
    expect(compress === 0 ? stored : gunzipSync(stored)).toEqual(Buffer.from(bytes));
    const loaded = await tracker.loadRegisteredModel(`m-raw${compress}bin`);
    expect(loaded).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(loaded as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
  });

  test("a custom serializer is used to store and to load", async () => {
    class Thing {
      constructor(readonly n: number) {}
    }
    const serializer: ModelSerializer<Thing> = {
      serialize: (t) => new TextEncoder().encode(`thing:${t.n}`),
      deserialize: (b) => new Thing(Number(new TextDecoder().decode(b).split(":")[1])),
    };
    const { stored } = await logAndRead(new Thing(17), "thing.bin", { serializer: serializer as ModelSerializer, compress: 0 });
    expect(stored.toString("utf8")).toBe("thing:17");
    const loaded = await tracker.loadRegisteredModel("m-thingbin", "latest", { serializer: serializer as ModelSerializer });
    expect(loaded).toBeInstanceOf(Thing);
    expect((loaded as Thing).n).toBe(17);
  });

  test("a compress level outside 0..9 is InvalidInput", async () => {
    const run = await tracker.startRun({ ...QUIET });
    await expect(Promise.resolve().then(() => run.logModel({ a: 1 }, "m.json", { compress: 10 }))).rejects.toBeInstanceOf(InvalidInput);
    await run.end();
  });
});

describe("getRun / getRunDetails", () => {
  test("getRunDetails adds artifacts, metricHistory, parentRunId, git, env", async () => {
    const file = join(store.dir, "a.txt");
    writeFileSync(file, "a");
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logParam("p", "v");
      await run.logMetric("m", 1, { step: 1, timestamp: 10 });
      await run.logArtifact(file);
      return run.runId;
    });
    const d = (await tracker.getRunDetails(id))!;
    expect(d).toEqual({
      runId: id,
      experimentId: "0",
      status: "FINISHED",
      startTime: expect.any(String),
      endTime: expect.any(String),
      params: { p: "v" },
      metrics: { m: 1 },
      tags: {},
      artifacts: ["a.txt"],
      metricHistory: { m: [{ value: 1, step: 1, timestamp: 10 }] },
      parentRunId: null,
      git: null,
      env: null,
    });
    const { artifacts: _a, metricHistory: _m, parentRunId: _p, git: _g, env: _e, ...plain } = d;
    expect(await tracker.getRun(id)).toEqual(plain);
  });

  test("unknown run ids give null", async () => {
    expect(await tracker.getRun("01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeNull();
    expect(await tracker.getRunDetails("01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeNull();
  });

  test("the returned views are copies: mutating them changes nothing stored", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      await run.logParam("obj", { a: 1 });
      return run.runId;
    });
    const r = (await tracker.getRun(id))!;
    (r.params.obj as { a: number }).a = 99;
    r.tags.x = "y";
    expect((await tracker.getRun(id))!.params).toEqual({ obj: { a: 1 } });
    expect((await tracker.getRun(id))!.tags).toEqual({});
  });
});

describe("deleteRun", () => {
  test("the run vanishes from views and its artifact link is released", async () => {
    const file = join(store.dir, "x.txt");
    writeFileSync(file, "x");
    const keep = await tracker.startRun({ experimentName: "del", ...QUIET }, async (run) => run.runId);
    const doomed = await tracker.startRun({ experimentName: "del", ...QUIET }, async (run) => {
      await run.logArtifact(file);
      return run.runId;
    });
    const link = await tracker.getArtifactAbspath(doomed, "x.txt");
    await tracker.deleteRun(doomed);
    expect(await tracker.getRun(doomed)).toBeNull();
    expect(await store.reopen().getRun(doomed)).toBeNull();
    await expect(tracker.getMetricHistory(doomed, "m")).rejects.toBeInstanceOf(RunNotFound);
    await expect(tracker.deleteRun(doomed)).rejects.toBeInstanceOf(RunNotFound);
    const table = await tracker.loadResults("del");
    expect(table.array("runId")).toEqual([keep]);
    expect((await tracker.getExperimentSummaries()).find((s) => s.name === "del")!.numRuns).toBe(1);
    expect(() => readFileSync(link)).toThrow();
  });

  test("an unknown run throws RunNotFound", async () => {
    await expect(tracker.deleteRun("01HZZZZZZZZZZZZZZZZZZZZZZZ")).rejects.toBeInstanceOf(RunNotFound);
  });
});

describe("loadResults", () => {
  async function seed() {
    const expId = await tracker.getOrCreateExperiment("results");
    const ids: string[] = [];
    const values = [
      { lr: 0.1, loss: 0.5, tag: "a" },
      { lr: 0.01, loss: 0.2, tag: "b" },
      { lr: 0.001, loss: 0.9, tag: "c" },
    ];
    for (const v of values) {
      ids.push(
        await tracker.startRun({ experimentName: "results", ...QUIET, tags: { who: v.tag } }, async (run) => {
          await run.logParams({ lr: v.lr, opt: "adam" });
          await run.logMetrics({ loss: v.loss, acc: 1 - v.loss });
          return run.runId;
        }),
      );
    }
    return { expId, ids };
  }

  test("one row per run; the five base columns first, then params.*, metrics.*, tags.*", async () => {
    const { expId, ids } = await seed();
    for (const key of ["results", expId]) {
      const table = await tracker.loadResults(key);
      expect(table.numRows()).toBe(3);
      const columns = table.columnNames();
      expect(columns.slice(0, 5)).toEqual(["runId", "experimentId", "status", "startTime", "endTime"]);
      expect(columns.slice(5)).toEqual(["params.lr", "params.opt", "metrics.acc", "metrics.loss", "tags.who"]);
      expect([...table.array("runId")].sort()).toEqual([...ids].sort());
      expect(new Set(table.array("experimentId"))).toEqual(new Set([expId]));
      expect(new Set(table.array("status"))).toEqual(new Set(["FINISHED"]));
      const row = (table.objects() as Array<Record<string, unknown>>).find((r) => r.runId === ids[1]);
      expect(row).toMatchObject({ "params.lr": 0.01, "params.opt": "adam", "metrics.loss": 0.2, "tags.who": "b" });
    }
  });

  test("a key missing in one run is null in its row", async () => {
    await tracker.startRun({ experimentName: "sparse", ...QUIET }, async (run) => run.logParam("only", 1));
    await tracker.startRun({ experimentName: "sparse", ...QUIET }, async (run) => run.logMetric("m", 2));
    const table = await tracker.loadResults("sparse");
    const rows = table.objects() as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r["params.only"], r["metrics.m"]])).toEqual([[1, null], [null, 2]]);
  });

  test("sortBy a metric, ascending and descending", async () => {
    const { ids } = await seed();
    const asc = await tracker.loadResults("results", { sortBy: "metrics.loss" });
    expect(asc.array("metrics.loss")).toEqual([0.2, 0.5, 0.9]);
    expect(asc.array("runId")).toEqual([ids[1], ids[0], ids[2]]);
    const desc = await tracker.loadResults("results", { sortBy: "metrics.loss", ascending: false });
    expect(desc.array("metrics.loss")).toEqual([0.9, 0.5, 0.2]);
    const byParam = await tracker.loadResults("results", { sortBy: "params.lr" });
    expect(byParam.array("params.lr")).toEqual([0.001, 0.01, 0.1]);
  });

  test("sorting puts runs without the metric last, both ways", async () => {
    await tracker.startRun({ experimentName: "gaps", ...QUIET }, async (run) => run.logMetric("m", 2));
    await tracker.startRun({ experimentName: "gaps", ...QUIET }, async () => {});
    await tracker.startRun({ experimentName: "gaps", ...QUIET }, async (run) => run.logMetric("m", 1));
    expect((await tracker.loadResults("gaps", { sortBy: "metrics.m" })).array("metrics.m")).toEqual([1, 2, null]);
    expect((await tracker.loadResults("gaps", { sortBy: "metrics.m", ascending: false })).array("metrics.m")).toEqual([2, 1, null]);
  });

  test("an experiment with no runs gives an empty table with exactly the five base columns", async () => {
    await tracker.getOrCreateExperiment("empty");
    const table = await tracker.loadResults("empty");
    expect(table.numRows()).toBe(0);
    expect(table.columnNames()).toEqual(["runId", "experimentId", "status", "startTime", "endTime"]);
  });

  test("an unknown sortBy throws InvalidInput", async () => {
    await seed();
    const err = await tracker.loadResults("results", { sortBy: "metrics.nope" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as Error).message).toContain("sortBy");
  });

  test("an unknown experiment throws ExperimentNotFound", async () => {
    await expect(tracker.loadResults("no-such-experiment")).rejects.toBeInstanceOf(ExperimentNotFound);
    await expect(tracker.loadResults("404")).rejects.toBeInstanceOf(ExperimentNotFound);
  });
});

describe("run metadata: logGitMeta, logEnv, logCode", () => {
  /** Captures everything written to stdout/stderr and the console while `fn` runs. */
  async function capturingOutput<T>(fn: () => Promise<T>): Promise<{ result: T; output: string[] }> {
    const output: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => (output.push(String(chunk)), true)),
      jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => (output.push(String(chunk)), true)),
      ...(["log", "info", "warn", "error", "debug"] as const).map((m) => jest.spyOn(console, m).mockImplementation((...a: unknown[]) => void output.push(a.join(" ")))),
    ];
    try {
      return { result: await fn(), output };
    } finally {
      for (const s of spies) s.mockRestore();
    }
  }

  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" }).trim();

  test("logGitMeta records commit, branch and dirty state of the working directory's repository", async () => {
    const repo = tempDir("runelog-git-");
    try {
      git(repo, "init", "-q", "-b", "trunk");
      writeFileSync(join(repo, "train.py"), "print('hi')\n");
      git(repo, "add", "train.py");
      git(repo, "commit", "-q", "-m", "first");
      const commit = git(repo, "rev-parse", "HEAD");

      const clean = await inDirectory(repo, () => tracker.startRun({ logCode: false, logGitMeta: true }, async (run) => run.runId));
      expect((await tracker.getRunDetails(clean))!.git).toEqual({ commit, branch: "trunk", dirty: false });

      writeFileSync(join(repo, "train.py"), "print('changed')\n");
      const dirty = await inDirectory(repo, () => tracker.startRun({ logCode: false }, async (run) => run.runId)); // logGitMeta defaults to true
      expect((await tracker.getRunDetails(dirty))!.git).toEqual({ commit, branch: "trunk", dirty: true });

      const off = await inDirectory(repo, () => tracker.startRun({ logCode: false, logGitMeta: false }, async (run) => run.runId));
      expect((await tracker.getRunDetails(off))!.git).toBeNull();
    } finally {
      removeDir(repo);
    }
  });

  test("outside a repository git is null and nothing is printed", async () => {
    const plain = tempDir("runelog-nogit-");
    try {
      const outside = await inDirectory(plain, () =>
        capturingOutput(() => tracker.startRun({ logCode: false, logGitMeta: true }, async (run) => run.runId)),
      );
      expect(outside.output).toEqual([]);
      expect((await tracker.getRunDetails(outside.result))!.git).toBeNull();
    } finally {
      removeDir(plain);
    }
  });

  test("logEnv records the Node version, platform and installed packages", async () => {
    const id = await tracker.startRun({ ...QUIET, logEnv: true }, async (run) => run.runId);
    const env = (await tracker.getRunDetails(id))!.env!;
    expect(env.node).toBe(process.version);
    expect(env.platform).toBe(process.platform);
    const arquero = JSON.parse(readFileSync(join(process.cwd(), "node_modules", "arquero", "package.json"), "utf8")) as { version: string };
    expect(env.packages.arquero).toBe(arquero.version);
    expect(Object.keys(env.packages).length).toBeGreaterThan(5);
  });

  test("logEnv is off by default", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => run.runId);
    expect((await tracker.getRunDetails(id))!.env).toBeNull();
  });

  test("logCode (on by default) stores the entry script as an artifact", async () => {
    const script = process.argv[1]!;
    const id = await tracker.startRun({ logGitMeta: false }, async (run) => run.runId);
    const details = (await tracker.getRunDetails(id))!;
    expect(details.artifacts).toEqual([basename(script)]);
    const stored = readFileSync(await tracker.getArtifactAbspath(id, basename(script)));
    expect(stored.equals(readFileSync(script))).toBe(true);
  });

  test("logCode false stores no artifact", async () => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => run.runId);
    expect((await tracker.getRunDetails(id))!.artifacts).toEqual([]);
  });
});

// Run ids, metric keys and artifact names are looked up in keyed maps: a name that is also a property of
// Object.prototype ("constructor", "toString", …) must behave like any other name.
describe("names that are Object.prototype properties", () => {
  const PROTO_NAMES = ["constructor", "toString", "valueOf", "hasOwnProperty"];

  test.each(PROTO_NAMES)("getRun / getRunDetails(%j) of no such run give null", async (name) => {
    expect(await tracker.getRun(name)).toBeNull();
    expect(await tracker.getRunDetails(name)).toBeNull();
  });

  test.each(PROTO_NAMES)("deleteRun / resumeRun / getMetricHistory / getRunTags(%j) of no such run throw RunNotFound", async (name) => {
    expect(await caught(() => tracker.deleteRun(name))).toBeInstanceOf(RunNotFound);
    expect(await caught(() => tracker.resumeRun(name))).toBeInstanceOf(RunNotFound);
    expect(await caught(() => tracker.getMetricHistory(name, "loss"))).toBeInstanceOf(RunNotFound);
    expect(await caught(() => tracker.getRunTags(name))).toBeInstanceOf(RunNotFound);
  });

  test.each(PROTO_NAMES)("getArtifactAbspath(run, %j) of no such artifact throws ArtifactNotFound", async (name) => {
    const id = await tracker.startRun({ ...QUIET }, async (run) => run.runId);
    expect(await caught(() => tracker.getArtifactAbspath(id, name))).toBeInstanceOf(ArtifactNotFound);
  });

  test("such names work as param, metric, tag and artifact names", async () => {
    const file = join(store.dir, "f.txt");
    writeFileSync(file, "f");
    const id = await tracker.startRun({ ...QUIET }, async (run) => {
      for (const [i, name] of PROTO_NAMES.entries()) {
        await run.logParam(name, i);
        await run.logMetric(name, i, { step: 1 });
        await run.setTags({ [name]: String(i) });
        await run.logArtifact(file, { name });
      }
      return run.runId;
    });
    const expected = Object.fromEntries(PROTO_NAMES.map((n, i) => [n, i]));
    for (const t of [tracker, store.reopen()]) {
      const d = (await t.getRunDetails(id))!;
      expect(d.params).toEqual(expected);
      expect(d.metrics).toEqual(expected);
      expect(d.tags).toEqual(Object.fromEntries(PROTO_NAMES.map((n, i) => [n, String(i)])));
      expect(d.artifacts.sort()).toEqual([...PROTO_NAMES].sort());
      expect(await t.getMetricHistory(id, "constructor")).toEqual([expect.objectContaining({ value: 0, step: 1 })]);
      expect(readFileSync(await t.getArtifactAbspath(id, "toString"), "utf8")).toBe("f");
    }
  });
});

test("a run started in one tracker is readable from another tracker on the same folder", async () => {
  const id = await tracker.startRun({ experimentName: "x", ...QUIET }, async (run) => {
    await run.logMetric("m", 3);
    return run.runId;
  });
  await nextMillisecond();
  expect(await store.reopen().getRun(id)).toMatchObject({ status: "FINISHED", metrics: { m: 3 } });
});
