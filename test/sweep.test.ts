/**
 * runelog sweep: the config and the trials it makes (in process), and real sweeps run by the built
 * bin (npx tsc first) with trial processes logging into the runs the runner created.
 */
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RuneLog } from "../src/index.js";
import { expandTrials, parseSweepConfig } from "../src/cli/sweep/config.js";
import { removeDir, tempDir } from "./helpers/store.js";

const ROOT = resolve(__dirname, "..");
const BIN = join(ROOT, "dist", "src", "cli", "main.js");
const TRIAL = join(ROOT, "dist", "examples", "sweep-trial.js");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd?: string): Promise<Result> {
  const env = { ...process.env, NO_COLOR: "1", COLUMNS: undefined, RUNELOG_PATH: undefined, RUNELOG_RUN_ID: undefined } as NodeJS.ProcessEnv;
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8" }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("sweep config", () => {
  const base = { experiment: "e", command: ["node", "t.js"] };

  test("grid lists make every combination, in order; a single value is fixed", () => {
    const config = parseSweepConfig({ ...base, params: { a: [1, 2], b: ["x", "y", "z"], c: 7 } });
    const trials = expandTrials(config);
    expect(trials).toHaveLength(6);
    expect(trials[0]).toEqual({ a: 1, b: "x", c: 7 });
    expect(trials[5]).toEqual({ a: 2, b: "z", c: 7 });
    expect(new Set(trials.map((t) => JSON.stringify(t))).size).toBe(6);
  });

  test("random ranges: `trials` draws per grid point, inside the range, on a log scale, whole numbers with int", () => {
    const config = parseSweepConfig({
      ...base,
      params: { lr: { min: 1e-4, max: 1, log: true }, units: { min: 8, max: 512, int: true, log: true }, drop: { min: 0.1, max: 0.5 }, opt: ["sgd", "adam"] },
      trials: 50,
      seed: 3,
    });
    const trials = expandTrials(config);
    expect(trials).toHaveLength(100);
    expect(trials.filter((t) => t.opt === "sgd")).toHaveLength(50);
    for (const t of trials) {
      expect(t.lr).toBeGreaterThanOrEqual(1e-4);
      expect(t.lr).toBeLessThanOrEqual(1);
      expect(Number.isInteger(t.units)).toBe(true);
      expect(t.units).toBeGreaterThanOrEqual(8);
      expect(t.units).toBeLessThanOrEqual(512);
      expect(t.drop).toBeGreaterThanOrEqual(0.1);
      expect(t.drop).toBeLessThanOrEqual(0.5);
    }
    // Log scale: about as many draws below 0.01 (2 of 4 decades) as above.
    const small = trials.filter((t) => (t.lr as number) < 0.01).length;
    expect(small).toBeGreaterThan(25);
    expect(small).toBeLessThan(75);
  });

  test("the same seed makes the same trials; another seed other ones", () => {
    const make = (seed: number) => expandTrials(parseSweepConfig({ ...base, params: { x: { min: 0, max: 1 } }, trials: 5, seed }));
    expect(make(1)).toEqual(make(1));
    expect(make(1)).not.toEqual(make(2));
  });

  test("defaults: 1 draw, seed 0, 4 workers, maximize, top 5", () => {
    expect(parseSweepConfig({ ...base, params: { x: [1] } })).toMatchObject({ trials: 1, seed: 0, workers: 4, goal: "maximize", top: 5, metric: undefined });
  });

  test.each([
    [{ command: ["x"], params: { a: [1] } }, /experiment must be an experiment name/],
    [{ experiment: "e", params: { a: [1] } }, /command must be a command line/],
    [{ ...base, params: {} }, /params must map each parameter/],
    [{ ...base, params: { a: [] } }, /params\.a is an empty list/],
    [{ ...base, params: { a: { min: 2, max: 1 } } }, /params\.a has min 2 above max 1/],
    [{ ...base, params: { a: { min: 0, max: 1, log: true } } }, /params\.a is a log range, so min must be above 0/],
    [{ ...base, params: { a: { min: 0, max: 1, step: 2 } } }, /params\.a\.step is not a range setting/],
    [{ ...base, params: { a: { low: 1 } } }, /params\.a must be a list \(grid\), a range/],
    [{ ...base, params: { a: [1] }, workers: 0 }, /workers must be a whole number of at least 1/],
    [{ ...base, params: { a: [1] }, goal: "up" }, /goal must be "maximize" or "minimize"/],
    [{ ...base, params: { a: [1] }, trails: 3 }, /trails is not a sweep setting/],
  ])("a bad config is refused with the key named: %j", (raw, message) => {
    expect(() => parseSweepConfig(raw, "sweep.json")).toThrow(message);
  });
});

describe("runelog sweep", () => {
  let dir: string;
  beforeAll(() => {
    expect(existsSync(BIN) && existsSync(TRIAL)).toBe(true); // build first: npx tsc
    dir = tempDir("runelog-sweep-");
  });
  afterAll(() => removeDir(dir));

  test("4 trials on 2 workers, one failing on purpose: FINISHED/FAILED runs, the rest go on, the best listed", async () => {
    const config = join(dir, "sweep.json");
    writeFileSync(
      config,
      JSON.stringify({
        experiment: "sweep-test",
        command: `node "${TRIAL}"`, // a string: run by the shell
        params: { learningRate: [0.3, -1, 1, 3], epochs: 3, batchSize: 64 },
        workers: 2,
        metric: "val_accuracy",
        goal: "maximize",
        top: 2,
      }),
    );
    const r = await cli(["--path", dir, "--json", "sweep", config]);
    expect(r.code).toBe(1); // a trial failed
    expect(r.stderr).toContain("✗ trial 2/4  learningRate=-1 epochs=3 batchSize=64");
    expect(r.stderr).toContain("FAILED (exit code 1): Error: learningRate must be above 0, got -1");
    expect(r.stderr).toMatch(/runelog: 1 of 4 trials failed/);
    expect(r.stderr).not.toMatch(/█|\r/); // no progress bar when piped
    const result = JSON.parse(r.stdout) as {
      sweepId: string;
      experimentId: string;
      finished: number;
      failed: number;
      trials: Array<{ trial: number; runId: string; status: string; exitCode: number | null; params: Record<string, unknown> }>;
      best: Array<{ rank: number; runId: string; value: number; params: Record<string, unknown> }>;
    };
    expect(result).toMatchObject({ finished: 3, failed: 1 });
    expect(result.trials.map((t) => [t.trial, t.status, t.exitCode])).toEqual([
      [1, "FINISHED", 0],
      [2, "FAILED", 1],
      [3, "FINISHED", 0],
      [4, "FINISHED", 0],
    ]);

    // What the store says, read through the library.
    const tracker = new RuneLog(dir);
    const runs = await tracker.getExperimentRuns(result.experimentId);
    expect(runs).toHaveLength(4);
    for (const t of result.trials) {
      const run = (await tracker.getRunDetails(t.runId))!;
      expect(run.status).toBe(t.status);
      expect(run.params).toEqual({ learningRate: t.params.learningRate, epochs: 3, batchSize: 64 });
      expect(run.tags).toMatchObject({ sweep: result.sweepId, "sweep.trial": String(t.trial), "sweep.exit_code": String(t.exitCode) });
      expect(run.artifacts).toContain("trial-output.log");
      if (t.status === "FINISHED") {
        expect(run.metricHistory.val_accuracy!.map((p) => p.step)).toEqual([1, 2, 3]); // logged by the trial process
        expect(run.artifacts).toContain("model");
      } else {
        expect(run.metrics).toEqual({});
      }
    }

    // The best runs: the finished ones ranked by their val_accuracy, top 2.
    const scored = await Promise.all(result.trials.filter((t) => t.status === "FINISHED").map(async (t) => ({ runId: t.runId, value: (await tracker.getRun(t.runId))!.metrics.val_accuracy! })));
    scored.sort((x, y) => y.value - x.value);
    expect(result.best.map((b) => [b.rank, b.runId, b.value])).toEqual(scored.slice(0, 2).map((s, i) => [i + 1, s.runId, s.value]));
  });

  test("a YAML config with random ranges; trials that end their own run, or die by a signal", async () => {
    // A trial that logs through startRun(options, fn) (which resumes the handed-over run and ends it itself),
    // or kills itself, or throws inside the run.
    const trial = join(dir, "trial.mjs");
    writeFileSync(
      trial,
      `import { RuneLog } from ${JSON.stringify("file://" + join(ROOT, "dist", "src", "index.js"))};
const params = JSON.parse(process.env.RUNELOG_PARAMS);
const tracker = new RuneLog(process.env.RUNELOG_PATH);
if (params.mode === "kill") process.kill(process.pid, "SIGKILL");
await tracker.startRun({}, async (run) => {
  await tracker.logMetric("score", params.x);
  if (params.mode === "throw") throw new Error("bad luck");
});
`,
    );
    const config = join(dir, "sweep.yaml");
    writeFileSync(
      config,
      `# a YAML sweep
experiment: yaml-sweep
command: [node, "${trial}"]
params:
  mode: [ok, kill, throw]
  x: { min: 1, max: 100, int: true }
trials: 2
seed: 5
workers: 3
metric: score
goal: minimize
`,
    );
    const r = await cli(["--path", dir, "sweep", config, "--top", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/runelog: 4 of 6 trials failed/);
    expect(r.stderr).toMatch(/✗ trial [34]\/6  mode=kill x=\d+  run \w{26}  FAILED \(SIGKILL\)\n/);
    expect(r.stdout).toMatch(/: 2 finished, 4 failed/);
    expect(r.stdout).toMatch(/best 1 run by score \(lower is better\):\n#\s+run\s+score\s+mode\s+x\n1\s+\w{26}\s+\d+\s+ok\s+\d+\n/);

    const tracker = new RuneLog(dir);
    const results = (await tracker.loadResults("yaml-sweep")).objects() as Array<Record<string, unknown>>;
    expect(results).toHaveLength(6);
    const byMode = (mode: string) => results.filter((row) => row["params.mode"] === mode);
    expect(byMode("ok").map((row) => row.status)).toEqual(["FINISHED", "FINISHED"]);
    expect(byMode("throw").map((row) => row.status)).toEqual(["FAILED", "FAILED"]); // ended FAILED by the trial itself
    expect(byMode("kill").map((row) => [row.status, row["tags.sweep.signal"]])).toEqual([["FAILED", "SIGKILL"], ["FAILED", "SIGKILL"]]);
    const best = byMode("ok").sort((x, y) => (x["metrics.score"] as number) - (y["metrics.score"] as number))[0]!;
    expect(r.stdout).toContain(String(best.runId));
    expect(best["metrics.score"]).toBe(best["params.x"]);
  });

  test("--dry-run prints the trials and runs nothing; a bad config is one line", async () => {
    const config = join(dir, "dry.json");
    writeFileSync(config, JSON.stringify({ experiment: "dry", command: "true", params: { a: [1, 2], b: { min: 0, max: 1 } }, trials: 2 }));
    const dry = await cli(["--path", dir, "--json", "sweep", config, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as unknown[]).length).toBe(4);
    expect((await new RuneLog(dir).listExperiments()).map((e) => e.name)).not.toContain("dry");

    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "experiment: x\ncommand: [node]\nparams: { a: { min: 3, max: 1 } }\n");
    const r = await cli(["--path", dir, "sweep", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^runelog: invalid .*bad\.yaml: params\.a has min 3 above max 1\n$/);
    const missing = await cli(["--path", dir, "sweep", join(dir, "nope.json")]);
    expect(missing.stderr).toMatch(/^runelog: cannot read sweep config .*nope\.json: no such file\n$/);
  });
});
