/**
 * Schema versions. test/fixtures/store-v1/ is a store written once by runelog's first journal format
 * (schema version 1, by test/fixtures/make-fixture.ts) and committed. This file reads it through
 * today's API and compares with values written down by hand from that store, so a change to the
 * format or the projections that would break old stores fails here. Never regenerate the fixture to
 * make this pass: add an upcast for the old version instead.
 */
import { cpSync, readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { join } from "node:path";
import { RuneLog, SCHEMA_VERSION, type JournalEvent } from "../src/index.js";
import { upcast } from "../src/events.js";
import { QUIET } from "./helpers/api.js";
import { removeDir, snapshotFiles, tempDir } from "./helpers/store.js";

const FIXTURE = join(__dirname, "fixtures", "store-v1");
const RUN1 = "01M8BJN6Z21R60V5AXGP84RCWA";
const RUN2 = "01M8BJN6ZRT5JGHPA0RVASV50V";
const MODEL = { kind: "tree", depth: 3, leaves: [0, 1, 2] };

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-schema-");
  cpSync(FIXTURE, dir, { recursive: true });
});
afterEach(() => removeDir(dir));

async function collect(iterable: AsyncIterable<JournalEvent>): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

describe("the committed v1 store", () => {
  test("its lines check out by hand: CRC-32 of the bytes before ,\"crc\":, seq from 1, prev = the line before's crc", () => {
    for (const file of ["catalog.ndjson", "experiments/1.ndjson", "registry.ndjson"]) {
      const lines = readFileSync(join(FIXTURE, ".runelog", file), "utf8").split("\n");
      expect(lines.pop()).toBe(""); // ends with a newline
      let prev = "00000000";
      lines.forEach((line, i) => {
        const cut = line.lastIndexOf(',"crc":"');
        const crc = crc32(Buffer.from(line.slice(0, cut), "utf8")).toString(16).padStart(8, "0");
        const e = JSON.parse(line) as JournalEvent;
        expect({ seq: e.seq, prev: e.prev, crc: e.crc, v: e.v }).toEqual({ seq: i + 1, prev, crc, v: 1 });
        prev = e.crc;
      });
    }
  });

  test("verify() finds nothing wrong", async () => {
    expect(await new RuneLog(dir).verify()).toEqual({
      ok: true,
      journals: [
        { file: ".runelog/catalog.ndjson", events: 2, problems: [] },
        { file: ".runelog/experiments/1.ndjson", events: 13, problems: [] },
        { file: ".runelog/registry.ndjson", events: 2, problems: [] },
      ],
      warnings: [],
    });
  });

  test("experiments and summaries read as they were written", async () => {
    const t = new RuneLog(dir);
    expect(await t.listExperiments()).toEqual([
      { experimentId: "0", name: "Default", createdAt: "2026-11-26T09:23:18.103Z" },
      { experimentId: "1", name: "iris", createdAt: "2026-11-26T09:23:18.113Z" },
    ]);
    expect(await t.getExperimentSummaries()).toEqual([
      { experimentId: "0", name: "Default", createdAt: "2026-11-26T09:23:18.103Z", numRuns: 0, lastRun: null },
      { experimentId: "1", name: "iris", createdAt: "2026-11-26T09:23:18.113Z", numRuns: 2, lastRun: "2026-11-26T09:23:18.136Z" },
    ]);
    expect(await t.getExperimentRuns("1")).toEqual([
      { runId: RUN1, experimentId: "1", status: "FINISHED", startTime: "2026-11-26T09:23:18.115Z", endTime: "2026-11-26T09:23:18.134Z" },
      { runId: RUN2, experimentId: "1", status: "FAILED", startTime: "2026-11-26T09:23:18.136Z", endTime: "2026-11-26T09:23:18.138Z" },
    ]);
  });

  test("runs: params, latest metrics (NaN kept), tags, metric history, artifacts", async () => {
    const t = new RuneLog(dir);
    expect(await t.getRunDetails(RUN1)).toEqual({
      runId: RUN1,
      experimentId: "1",
      status: "FINISHED",
      startTime: "2026-11-26T09:23:18.115Z",
      endTime: "2026-11-26T09:23:18.134Z",
      params: { max_depth: 3, criterion: "gini", features: ["petal_length", "petal_width"] },
      metrics: { accuracy: 0.95, loss: NaN },
      tags: { model: "tree", stage: "baseline" },
      artifacts: ["notes.txt", "model"],
      metricHistory: {
        accuracy: [
          { value: 0.9, step: 0, timestamp: 1795684998117 },
          { value: 0.95, step: 1, timestamp: 1795684998118 },
        ],
        loss: [{ value: NaN, step: 0, timestamp: 1795684998118 }],
      },
      parentRunId: null,
      git: null,
      env: null,
    });
    expect(Number.isNaN((await t.getRun(RUN1))!.metrics.loss)).toBe(true);
    expect(await t.getRun(RUN2)).toEqual({
      runId: RUN2,
      experimentId: "1",
      status: "FAILED",
      startTime: "2026-11-26T09:23:18.136Z",
      endTime: "2026-11-26T09:23:18.138Z",
      params: { max_depth: 5 },
      metrics: { accuracy: 0.97, loss: 0.12 },
      tags: {},
    });
    expect(readFileSync(await t.getArtifactAbspath(RUN1, "notes.txt"), "utf8")).toBe("fixture artifact: schema v1\n");
    expect(await t.loadModel(RUN1, "model")).toEqual(MODEL);
  });

  test("loadResults: one row per run with the flattened columns", async () => {
    const table = await new RuneLog(dir).loadResults("iris");
    expect(table.columnNames()).toEqual([
      "runId", "experimentId", "status", "startTime", "endTime",
      "params.criterion", "params.features", "params.max_depth", "metrics.accuracy", "metrics.loss", "tags.model", "tags.stage",
    ]);
    const [r1, r2] = table.objects() as Array<Record<string, unknown>>;
    expect(r1).toMatchObject({ runId: RUN1, status: "FINISHED", "params.max_depth": 3, "params.criterion": "gini", "metrics.accuracy": 0.95, "tags.stage": "baseline" });
    expect(Number.isNaN(r1!["metrics.loss"])).toBe(true);
    expect(r2).toMatchObject({ runId: RUN2, status: "FAILED", "params.max_depth": 5, "metrics.accuracy": 0.97, "metrics.loss": 0.12 });
  });

  test("the registry: the version, its tags and alias, and the model behind it", async () => {
    const t = new RuneLog(dir);
    expect(await t.listRegisteredModels()).toEqual(["iris-classifier"]);
    expect(await t.getModelVersions("iris-classifier")).toEqual([
      {
        modelName: "iris-classifier",
        version: "1",
        sourceRunId: RUN1,
        artifactName: "model",
        registeredAt: "2026-11-26T09:23:18.141Z",
        tags: { owner: "fixture" },
        aliases: ["champion"],
      },
    ]);
    expect(await t.loadRegisteredModel("iris-classifier", "@champion")).toEqual(MODEL);
    expect(await t.loadRegisteredModel("iris-classifier")).toEqual(MODEL);
  });

  test("history: 17 events, all v1; asOf an old event id gives that moment", async () => {
    const t = new RuneLog(dir);
    const events = await collect(t.events());
    expect(events).toHaveLength(17);
    expect(new Set(events.map((e) => e.v))).toEqual(new Set([1]));
    expect(events.map((e) => e.type)).toEqual([
      "ExperimentCreated", "ExperimentCreated", "RunStarted", "ParamsLogged", "MetricsLogged", "MetricsLogged", "MetricsLogged", "TagsSet",
      "ArtifactLogged", "ArtifactLogged", "RunEnded", "RunStarted", "ParamsLogged", "MetricsLogged", "RunEnded",
      "ModelVersionRegistered", "ModelAliasSet",
    ]);
    const past = t.asOf("01M8BJN6ZPT9S37N15ZF3SK0GR"); // RUN1's RunEnded
    expect((await past.getExperimentRuns("1")).map((r) => [r.runId, r.status])).toEqual([[RUN1, "FINISHED"]]);
    expect(await past.getModelVersions("iris-classifier")).toEqual([]);
  });

  test("today's writer appends to it: the chain goes on from the last stored line, with schema version 1", async () => {
    const before = snapshotFiles(join(dir, ".runelog"));
    const t = new RuneLog(dir);
    const run = await t.startRun({ experimentName: "iris", ...QUIET });
    await run.logMetric("accuracy", 0.99);
    await run.end();
    const text = readFileSync(join(dir, ".runelog", "experiments", "1.ndjson"), "utf8");
    const old = Buffer.from(before["experiments/1.ndjson"]!, "base64").toString("utf8");
    expect(text.startsWith(old)).toBe(true);
    const added = text.slice(old.length).trimEnd().split("\n").map((l) => JSON.parse(l) as JournalEvent);
    expect(added.map((e) => [e.seq, e.v, e.type])).toEqual([[14, 1, "RunStarted"], [15, 1, "MetricsLogged"], [16, 1, "RunEnded"]]);
    expect(added[0]!.prev).toBe("e7c32a72");
    expect((await t.verify()).ok).toBe(true);
    expect((await t.getExperimentRuns("1")).map((r) => r.runId)).toEqual([RUN1, RUN2, run.runId]);
  });
});

describe("schema versions and upcast", () => {
  test("every event written today carries v: SCHEMA_VERSION, which is 1", async () => {
    expect(SCHEMA_VERSION).toBe(1);
    const t = new RuneLog(dir);
    const run = await t.startRun({ experimentName: "fresh", ...QUIET });
    await run.logParams({ a: 1 });
    await run.end();
    for (const e of await collect(t.events())) expect(e.v).toBe(1);
  });

  test("upcast() returns a v1 event unchanged (the same object, the same content)", async () => {
    const events = await collect(new RuneLog(dir).events());
    for (const e of events) {
      const copy = structuredClone(e);
      const up = upcast(e);
      expect(up).toBe(e);
      expect(up).toEqual(copy);
    }
  });
});
