/**
 * Many processes writing one store at once. Workers are the compiled scripts in dist/test/workers
 * (`npm test` runs tsc first). Each worker waits at a barrier so all of them start together.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";
import { checkRawJournal, release, runTogether, startWorker } from "./workers/harness.js";

const WORKERS = resolve(__dirname, "..", "dist", "test", "workers");
const worker = (name: string) => {
  const script = join(WORKERS, `${name}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npx tsc\` first`);
  return script;
};

jest.setTimeout(120_000);

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-mp-");
});
afterEach(() => removeDir(dir));

test("6 processes logging 500 metrics each into one experiment: every event exactly once, in order, one unbroken chain", async () => {
  const N = 500;
  const labels = ["w0", "w1", "w2", "w3", "w4", "w5"];
  const results = await runTogether(worker("logger"), labels.map((label) => [dir, "shared", String(N), label]));
  const outs = results.map((r) => r.messages.find((m) => m.runId));
  const expId = outs[0].experimentId;
  for (const o of outs) expect(o.experimentId).toBe(expId);
  expect(new Set(outs.map((o) => o.runId)).size).toBe(labels.length);

  // Through the library: each run has its full history 0..N-1 in logging order.
  const tracker = new RuneLog(dir);
  expect((await tracker.listExperiments()).filter((e) => e.name === "shared")).toHaveLength(1);
  const runs = await tracker.getExperimentRuns(expId);
  expect(runs.map((r) => r.runId).sort()).toEqual(outs.map((o) => o.runId).sort());
  for (const o of outs) {
    const history = await tracker.getMetricHistory(o.runId, "m");
    expect(history.map((p) => p.value)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(history.map((p) => p.step)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(await tracker.getRun(o.runId)).toMatchObject({ status: "FINISHED", params: { label: o.label }, tags: { worker: o.label, done: "yes" }, metrics: { m: N - 1 } });
  }

  // Straight from the bytes: every line parses, checksums hold, seq is 1..n without gap, prev chains.
  const raw = checkRawJournal(join(dir, ".runelog", "experiments", `${expId}.ndjson`));
  expect(raw.problems).toEqual([]);
  expect(raw.tail.length).toBe(0);
  // 6 × (RunStarted + param + N metrics + tags + RunEnded)
  expect(raw.events).toHaveLength(labels.length * (N + 4));
  expect(raw.events.map((e) => e.seq)).toEqual(raw.events.map((_, i) => i + 1));
  for (const o of outs) {
    const values = raw.events.filter((e) => e.type === "MetricsLogged" && e.data.runId === o.runId).map((e) => e.data.metrics.m);
    expect(values).toEqual(Array.from({ length: N }, (_, i) => i));
    const types = raw.events.filter((e) => e.data.runId === o.runId).map((e) => e.type);
    expect(types[0]).toBe("RunStarted");
    expect(types.at(-1)).toBe("RunEnded");
  }
  // The catalogue: Default then "shared", created once.
  const catalog = checkRawJournal(join(dir, ".runelog", "catalog.ndjson"));
  expect(catalog.problems).toEqual([]);
  expect(catalog.events.map((e) => [e.type, e.data.name])).toEqual([
    ["ExperimentCreated", "Default"],
    ["ExperimentCreated", "shared"],
  ]);
  // No lock directory left behind.
  expect(readdirSync(join(dir, ".runelog")).filter((n) => n.endsWith(".lock"))).toEqual([]);
});

test("8 processes racing getOrCreateExperiment on one name: exactly one experiment, everyone got its id", async () => {
  const results = await runTogether(worker("experiment"), Array.from({ length: 8 }, () => [dir, "race"]));
  const ids = results.flatMap((r) => r.messages.find((m) => m.ids).ids as string[]);
  expect(ids).toHaveLength(16);
  expect(new Set(ids).size).toBe(1);

  const tracker = new RuneLog(dir);
  const named = (await tracker.listExperiments()).filter((e) => e.name === "race");
  expect(named).toHaveLength(1);
  expect(named[0]!.experimentId).toBe(ids[0]);
  expect((await tracker.listExperiments()).map((e) => e.name)).toEqual(["Default", "race"]);

  const raw = checkRawJournal(join(dir, ".runelog", "catalog.ndjson"));
  expect(raw.problems).toEqual([]);
  expect(raw.tail.length).toBe(0);
  expect(raw.events.filter((e) => e.type === "ExperimentCreated" && e.data.name === "race")).toHaveLength(1);
  expect(raw.events.filter((e) => e.type === "ExperimentCreated" && e.data.name === "Default")).toHaveLength(1);
});

test("8 processes racing registerModel (3 versions each): versions exactly 1..24, no gap, no duplicate", async () => {
  const tracker = new RuneLog(dir);
  const run = await tracker.startRun({ experimentName: "models", logCode: false, logGitMeta: false });
  await run.logModel({ weights: [1, 2, 3] }, "model.json");
  await run.end();

  const PER = 3;
  const results = await runTogether(worker("register"), Array.from({ length: 8 }, () => [dir, run.runId, "model.json", "net", String(PER)]));
  const returned = results.flatMap((r) => r.messages.find((m) => m.versions).versions as string[]);
  const all = Array.from({ length: 8 * PER }, (_, i) => String(i + 1));
  expect([...returned].sort((a, b) => Number(a) - Number(b))).toEqual(all);

  const versions = await new RuneLog(dir).getModelVersions("net", { ascending: true });
  expect(versions.map((v) => v.version)).toEqual(all);
  for (const v of versions) expect(v).toMatchObject({ modelName: "net", sourceRunId: run.runId, artifactName: "model.json" });
  expect(await new RuneLog(dir).loadRegisteredModel("net", "latest")).toEqual({ weights: [1, 2, 3] });

  const raw = checkRawJournal(join(dir, ".runelog", "registry.ndjson"));
  expect(raw.problems).toEqual([]);
  expect(raw.events.map((e) => e.data.version).sort((a: string, b: string) => Number(a) - Number(b))).toEqual(all);
});

test("a process SIGKILLed while logging loses no acknowledged event; the journal stays valid and the run shows KILLED", async () => {
  const w = startWorker(worker("crasher"), [dir, "crash"]);
  let acked = -1;
  let info: { runId: string; experimentId: string };
  try {
    await release([w]);
    info = await w.waitFor((m) => m?.runId);
    expect(info).toBeDefined();
    const reached = await w.waitFor((m) => m?.acked >= 301);
    expect(reached).toBeDefined();
  } finally {
    w.child.kill("SIGKILL");
  }
  const result = await w.done;
  expect(result.signal).toBe("SIGKILL");
  for (const m of result.messages) if (typeof m.acked === "number") acked = Math.max(acked, m.acked);
  expect(acked).toBeGreaterThanOrEqual(301);

  const file = join(dir, ".runelog", "experiments", `${info!.experimentId}.ndjson`);
  const raw = checkRawJournal(file);
  expect(raw.problems).toEqual([]);
  const logged: number[] = raw.events.filter((e) => e.type === "MetricsLogged").map((e) => e.data.metrics.m);
  // Everything acknowledged is there, in order, with nothing repeated.
  expect(logged.slice(0, acked + 1)).toEqual(Array.from({ length: acked + 1 }, (_, i) => i));
  expect(logged).toEqual(Array.from({ length: logged.length }, (_, i) => i));

  const tracker = new RuneLog({ path: dir, lockStaleMs: 2000 });
  const view = await tracker.getRun(info!.runId);
  expect(view?.status).toBe("KILLED");
  expect((await tracker.getMetricHistory(info!.runId, "m")).length).toBe(logged.length);
  // The store takes new writes (a lock the dead process may have held is taken over once stale).
  const next = await tracker.startRun({ experimentName: "crash", logCode: false, logGitMeta: false });
  await next.logMetric("after", 1);
  await next.end();
  const after = checkRawJournal(file);
  expect(after.problems).toEqual([]);
  expect(after.tail.length).toBe(0);
  expect(after.lines.slice(0, raw.lines.length).map(String)).toEqual(raw.lines.map(String));
});
