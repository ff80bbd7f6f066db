/**
 * The runelog bin's reading commands, spawned as a user runs them (build first: npx tsc) against a
 * store seeded through the library: success paths, --json parsed back, errors as one line.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { RuneLog } from "../src/index.js";
import { BIN, cli, expectOneLineError } from "./helpers/cli.js";
import { removeDir, tempDir } from "./helpers/store.js";

const QUIET = { logCode: false, logGitMeta: false } as const;




let dir: string;
let tracker: RuneLog;
const ids: { exp: string; a: string; b: string; c: string } = { exp: "", a: "", b: "", c: "" };

beforeAll(async () => {
  expect(existsSync(BIN)).toBe(true); // build first: npx tsc
  dir = tempDir("runelog-cli-read-");
  tracker = new RuneLog(dir);
  const artifact = join(dir, "notes.txt");
  writeFileSync(artifact, "hello from run a\n");
  ids.a = await tracker.startRun({ ...QUIET, experimentName: "mnist", tags: { team: "vision" } }, async (run) => {
    await run.logParams({ lr: 0.1, batch: 32, layers: [64, 32], optimizer: "sgd" });
    for (let step = 1; step <= 3; step++) await run.logMetrics({ loss: 1 / step, acc: 0.5 + step / 10 }, { step });
    await run.logArtifact(artifact);
    await run.logModel({ weights: [1, 2, 3] }, "model");
    return run.runId;
  });
  ids.b = await tracker.startRun({ ...QUIET, experimentName: "mnist", tags: { team: "vision" } }, async (run) => {
    await run.logParams({ lr: 0.01, batch: 32, layers: [64, 32], optimizer: "adam" });
    await run.logMetrics({ loss: 0.2, acc: 0.95 }, { step: 1 });
    await run.logMetric("weird", Number.NaN);
    return run.runId;
  });
  const failing = await tracker.startRun({ ...QUIET, experimentName: "mnist" });
  await failing.logParams({ lr: 5, batch: 64, optimizer: "sgd" });
  await failing.end("FAILED");
  ids.c = failing.runId;
  ids.exp = await tracker.getOrCreateExperiment("mnist");
  await tracker.getOrCreateExperiment("empty one");
  await tracker.registerModel(ids.a, "model", "digits", { stage: "dev" });
  await tracker.registerModel(ids.a, "notes.txt", "digits");
  await tracker.setModelAlias("digits", "champion", "1");
});

afterAll(() => removeDir(dir));

describe("global options", () => {
  test("--version prints package.json's version", async () => {
    const r = await cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(resolve(__dirname, "..", "package.json"), "utf8")).version);
  });

  test("--help lists every command, and every command has its own --help", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const c of ["experiments", "runs", "registry", "verify", "events", "sweep"]) expect(top.stdout).toContain(c);
    const subs = await Promise.all(
      [["experiments", "export"], ["runs", "compare"], ["registry", "tag"], ["verify"], ["events"], ["sweep"]].map((a) => cli([...a, "--help"])),
    );
    for (const r of subs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: runelog /);
      expect(r.stdout).toContain("--path"); // global options are shown on every command
    }
    expect(subs[0]!.stdout).toContain("--format");
    expect(subs[2]!.stdout).toContain("--remove");
  });

  test("an unknown command suggests the closest one, on one line", async () => {
    expectOneLineError(await cli(["expriments", "list"]), /unknown command 'expriments' \(did you mean experiments\?\)/);
    expectOneLineError(await cli(["runs", "lst", "x"]), /unknown command 'lst' \(did you mean (one of )?list\b/);
    expectOneLineError(await cli(["verify", "--bogus"]), /unknown option '--bogus'/);
  });

  test("--path, else RUNELOG_PATH, else the current folder", async () => {
    const [byFlag, byEnv, byCwd, flagAfter] = await Promise.all([
      cli(["--path", dir, "experiments", "list", "--json"]),
      cli(["experiments", "list", "--json"], { env: { RUNELOG_PATH: dir } }),
      cli(["experiments", "list", "--json"], { cwd: dir }),
      cli(["experiments", "list", "--json", "--path", dir]),
    ]);
    for (const r of [byFlag, byEnv, byCwd, flagAfter]) {
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as Array<{ name: string }>).map((e) => e.name)).toEqual(["Default", "mnist", "empty one"]);
    }
  });

  test("a folder without a store is an error, and no store is created there", async () => {
    const empty = tempDir("runelog-cli-empty-");
    try {
      expectOneLineError(await cli(["--path", empty, "experiments", "list"]), /no runelog store in .*pass --path/);
      expect(existsSync(join(empty, ".runelog"))).toBe(false);
    } finally {
      removeDir(empty);
    }
  });
});

describe("experiments", () => {
  test("list: a table, and --json with the run counts", async () => {
    const [text, json] = await Promise.all([cli(["--path", dir, "experiments", "list"]), cli(["--path", dir, "--json", "experiments", "list", "--sort", "numRuns", "--desc"])]);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(/^id\s+name\s+runs\s+last run\s+created$/);
    expect(text.stdout).toMatch(/1\s+mnist\s+3\s/);
    const rows = JSON.parse(json.stdout) as Array<{ name: string; numRuns: number; lastRun: string | null }>;
    expect(rows[0]).toMatchObject({ name: "mnist", numRuns: 3 });
    expect(rows.find((e) => e.name === "empty one")).toMatchObject({ numRuns: 0, lastRun: null });
  });

  test("get: by name or id, with runs by status", async () => {
    const [byName, byId] = await Promise.all([cli(["--path", dir, "experiments", "get", "mnist"]), cli(["--path", dir, "--json", "experiments", "get", ids.exp])]);
    expect(byName.code).toBe(0);
    expect(byName.stdout).toMatch(/runs\s+3 \((2 FINISHED, 1 FAILED|1 FAILED, 2 FINISHED)\)/);
    expect(JSON.parse(byId.stdout)).toMatchObject({ experimentId: ids.exp, name: "mnist", numRuns: 3, runsByStatus: { FINISHED: 2, FAILED: 1 } });
  });

  test("get / export of an unknown experiment: one line, exit 1", async () => {
    expectOneLineError(await cli(["--path", dir, "experiments", "get", "nope"]), /^runelog: experiment not found: nope\n$/);
    expectOneLineError(await cli(["--path", dir, "experiments", "export", "nope"]), /experiment not found: nope/);
    expectOneLineError(await cli(["--path", dir, "experiments", "export", "mnist", "--sort", "metrics.nope"]), /invalid sortBy/);
  });

  test("export: the CSV parses back to loadResults' rows and columns", async () => {
    const r = await cli(["--path", dir, "experiments", "export", "mnist"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(""); // no progress bar when piped
    const expected = await tracker.loadResults("mnist");
    const parsed = aq.fromCSV(r.stdout, { autoType: false });
    expect(parsed.numRows()).toBe(3);
    expect(parsed.columnNames()).toEqual(expected.columnNames());
    const want = expected.objects() as Array<Record<string, unknown>>;
    const got = parsed.objects() as Array<Record<string, string | null>>;
    for (let i = 0; i < want.length; i++) {
      for (const column of expected.columnNames()) {
        const v = want[i]![column];
        const text = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
        expect([column, got[i]![column] ?? ""]).toEqual([column, text]);
      }
    }
    expect(got.find((row) => row.runId === ids.a)!["params.layers"]).toBe("[64,32]"); // JSON, not [object Object]
  });

  test("export -o FILE --format json writes records; NaN metrics stay NaN", async () => {
    const file = join(dir, "out.json");
    const r = await cli(["--path", dir, "experiments", "export", "mnist", "-o", file, "--format", "json", "--sort", "metrics.acc", "--desc"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^wrote 3 runs × \d+ columns to /);
    const rows = JSON.parse(readFileSync(file, "utf8")) as Array<Record<string, unknown>>;
    expect(rows.map((row) => row.runId)).toEqual([ids.b, ids.a, ids.c]);
    expect(rows[0]!["metrics.weird"]).toBe("NaN");
    expect(rows[1]!["params.layers"]).toEqual([64, 32]);
  });

  test("export of an experiment without runs: just the header", async () => {
    const r = await cli(["--path", dir, "experiments", "export", "empty one"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("runId,experimentId,status,startTime,endTime\n");
  });
});

describe("runs", () => {
  test("list: runs with params and latest metrics; --json nested per run; --status and --limit", async () => {
    const [text, json, failed] = await Promise.all([
      cli(["--path", dir, "runs", "list", "mnist", "--sort", "metrics.acc", "--desc"]),
      cli(["--path", dir, "--json", "runs", "list", ids.exp]),
      cli(["--path", dir, "--json", "runs", "list", "mnist", "--status", "FAILED", "--limit", "5"]),
    ]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toMatch(/^run\s+status\s+started\s+duration\s+/);
    expect(lines[1]).toContain(ids.b); // highest acc first
    expect(lines[2]).toContain(ids.a);
    const runs = JSON.parse(json.stdout) as Array<{ runId: string; status: string; params: Record<string, unknown>; metrics: Record<string, unknown>; tags: Record<string, string> }>;
    expect(runs.map((x) => x.runId)).toEqual([ids.a, ids.b, ids.c]);
    expect(runs[0]).toMatchObject({ status: "FINISHED", params: { lr: 0.1, layers: [64, 32] }, metrics: { loss: 1 / 3 }, tags: { team: "vision" } });
    expect(runs[1]!.metrics.weird).toBe("NaN");
    expect(runs[2]!.params).not.toHaveProperty("layers"); // a key the run never logged is left out
    expect((JSON.parse(failed.stdout) as Array<{ runId: string }>).map((x) => x.runId)).toEqual([ids.c]);
    const quiet = await cli(["--path", dir, "runs", "list", "mnist", "--sort", "metrics.acc", "--desc", "--limit", "2", "-q"]);
    expect(quiet.stdout).toBe(`${ids.b}\n${ids.a}\n`); // ids only, for $(…)
  });

  test("list fits the terminal width: long cells are cut with …, columns that do not fit are named", async () => {
    const r = await cli(["--path", dir, "runs", "list", "mnist"], { env: { COLUMNS: "70" } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(70);
    expect(r.stdout).toContain(ids.a); // ids are never cut
    expect(r.stdout).toMatch(/\(--json shows all; 7 more columns: batch, /);
  });

  test("get: the run's details; --json is getRunDetails", async () => {
    const [text, json] = await Promise.all([cli(["--path", dir, "runs", "get", ids.a]), cli(["--path", dir, "--json", "runs", "get", ids.a])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/status\s+FINISHED/);
    expect(text.stdout).toMatch(/experiment\s+mnist \(id 1\)/);
    expect(text.stdout).toMatch(/optimizer\s+sgd/);
    expect(text.stdout).toMatch(/loss\s+0\.333333/);
    expect(text.stdout).toContain("notes.txt");
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(await tracker.getRunDetails(ids.a))));
  });

  test("get of an unknown run: one line, exit 1", async () => {
    expectOneLineError(await cli(["--path", dir, "runs", "get", "01NOPE"]), /^runelog: run not found: 01NOPE\n$/);
  });

  test("compare: params side by side, differing rows marked", async () => {
    const [text, json, diffOnly] = await Promise.all([
      cli(["--path", dir, "runs", "compare", ids.a, ids.b]),
      cli(["--path", dir, "--json", "runs", "compare", ids.a, ids.b, ids.c]),
      cli(["--path", dir, "--json", "runs", "compare", ids.a, ids.b, "--diff"]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/≠\s+params\.lr\s+0\.1\s+0\.01/);
    expect(text.stdout).toMatch(/\n\s+params\.batch\s+32\s+32/); // same: not marked
    const report = JSON.parse(json.stdout) as { runs: string[]; rows: Array<{ key: string; values: unknown[]; differs: boolean }> };
    expect(report.runs).toEqual([ids.a, ids.b, ids.c]);
    expect(report.rows.find((row) => row.key === "params.lr")).toEqual({ key: "params.lr", values: [0.1, 0.01, 5], differs: true });
    expect(report.rows.find((row) => row.key === "params.layers")).toEqual({ key: "params.layers", values: [[64, 32], [64, 32], null], differs: true });
    expect(report.rows.find((row) => row.key === "status")).toEqual({ key: "status", values: ["FINISHED", "FINISHED", "FAILED"], differs: true });
    const keys = (JSON.parse(diffOnly.stdout) as typeof report).rows.map((row) => row.key);
    expect(keys).toContain("params.optimizer");
    expect(keys).not.toContain("params.batch");
    expectOneLineError(await cli(["--path", dir, "runs", "compare", ids.a, "01NOPE"]), /run not found: 01NOPE/);
    expectOneLineError(await cli(["--path", dir, "runs", "compare", ids.a]), /missing required argument/);
  });

  test("history: every step of a metric", async () => {
    const [text, json] = await Promise.all([cli(["--path", dir, "runs", "history", ids.a, "loss"]), cli(["--path", dir, "--json", "runs", "history", ids.a, "loss"])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^step\s+value\s+time\n\s+1\s+1\s+\S+\n\s+2\s+0\.5\s+\S+\n\s+3\s+0\.333333\s+\S+\n$/);
    expect(JSON.parse(json.stdout)).toEqual(await tracker.getMetricHistory(ids.a, "loss"));
    expectOneLineError(await cli(["--path", dir, "runs", "history", ids.a, "nope"]), /has no metric "nope" \(it has /);
    expectOneLineError(await cli(["--path", dir, "runs", "history", "01NOPE", "loss"]), /run not found: 01NOPE/);
  });
});

describe("registry (reading)", () => {
  test("list and versions, as tables and --json", async () => {
    const [list, listJson, versions, versionsJson] = await Promise.all([
      cli(["--path", dir, "registry", "list"]),
      cli(["--path", dir, "--json", "registry", "list"]),
      cli(["--path", dir, "registry", "versions", "digits"]),
      cli(["--path", dir, "--json", "registry", "versions", "digits"]),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/digits\s+2\s+2\s+.*@champion→1/);
    expect(JSON.parse(listJson.stdout)).toEqual([expect.objectContaining({ name: "digits", latestVersion: "2", versions: 2, aliases: { champion: "1" } })]);
    expect(versions.stdout.split("\n")[1]).toMatch(new RegExp(`^\\s*2\\s+.*${ids.a}\\s+notes\\.txt`));
    expect(versions.stdout).toMatch(/1\s+.*model\s+@champion\s+stage=dev/);
    expect(JSON.parse(versionsJson.stdout)).toEqual(JSON.parse(JSON.stringify(await tracker.getModelVersions("digits"))));
    expectOneLineError(await cli(["--path", dir, "registry", "versions", "nope"]), /registered model not found: nope/);
  });
});

describe("events", () => {
  test("prints the journal's events; --json is one stored event per line; filters by experiment, run and type", async () => {
    const [all, json, byRun, metricsOnly, last2] = await Promise.all([
      cli(["--path", dir, "events"]),
      cli(["--path", dir, "--json", "events", "--experiment", "mnist"]),
      cli(["--path", dir, "--json", "events", "--run", ids.b]),
      cli(["--path", dir, "--json", "events", "-e", "mnist", "--type", "MetricsLogged"]),
      cli(["--path", dir, "--json", "events", "-n", "2"]),
    ]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/ExperimentCreated\s+experiment 1 "mnist"/);
    expect(all.stdout).toMatch(new RegExp(`RunEnded\\s+run ${ids.c} FAILED`));
    const stored: unknown[] = [];
    for await (const e of tracker.events({ experiment: "mnist" })) stored.push(e);
    expect(json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual(JSON.parse(JSON.stringify(stored)));
    const runEvents = byRun.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { data: { runId?: string } });
    expect(runEvents.length).toBeGreaterThan(2);
    expect(runEvents.every((e) => e.data.runId === ids.b)).toBe(true);
    const types = new Set(metricsOnly.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { type: string }).type));
    expect([...types]).toEqual(["MetricsLogged"]);
    expect(last2.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["ModelVersionRegistered", "ModelAliasSet"]);
    expectOneLineError(await cli(["--path", dir, "events", "--experiment", "nope"]), /experiment not found: nope/);
    expectOneLineError(await cli(["--path", dir, "events", "--run", "01NOPE"]), /run not found: 01NOPE/);
  });
});

describe("verify (a sound store)", () => {
  test("every journal ok: exit 0, and --json is the report", async () => {
    const [text, json] = await Promise.all([cli(["--path", dir, "verify"]), cli(["--path", dir, "--json", "verify"])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/✓ \.runelog\/catalog\.ndjson/);
    expect(text.stdout).toMatch(/3 journals, \d+ events: ok/);
    expect(JSON.parse(json.stdout)).toEqual(await tracker.verify());
  });
});
