/**
 * `runelog runs search` and `runs list --filter`, spawned as a user runs them (build first: npx tsc),
 * against a store seeded through the library: order, experiments, limits, --json, -q, and bad filters
 * as the caret message on stderr with exit code 2.
 */
import { existsSync } from "node:fs";
import { RuneLog } from "../src/index.js";
import { BIN, cli } from "./helpers/cli.js";
import { nextMillisecond, QUIET } from "./helpers/api.js";
import { removeDir, tempDir } from "./helpers/store.js";

let dir: string;
const id: Record<string, string> = {};

beforeAll(async () => {
  expect(existsSync(BIN)).toBe(true); // build first: npx tsc
  dir = tempDir("runelog-cli-search-");
  const tracker = new RuneLog(dir);
  const seed = async (name: string, experimentName: string, params: Record<string, unknown>, acc: number | null) => {
    await nextMillisecond();
    id[name] = await tracker.startRun({ ...QUIET, experimentName }, async (run) => {
      await run.logParams(params);
      if (acc !== null) await run.logMetric("val_accuracy", acc);
      return run.runId;
    });
  };
  await seed("a", "logreg", { batchSize: 32, lr: 0.1 }, 0.82);
  await seed("b", "logreg", { batchSize: 256, lr: 0.1 }, 0.9);
  await seed("c", "logreg", { batchSize: 32, lr: 1 }, 0.87);
  await seed("d", "other", { batchSize: 32, lr: 3 }, 0.95);
  await seed("e", "other", { batchSize: 32 }, null);
});

afterAll(() => removeDir(dir));

const run = (...args: string[]) => cli(["--path", dir, ...args]);
const lines = (text: string) => text.split("\n").filter(Boolean);

test("the issue's example: matching runs, best first", async () => {
  const r = await run("runs", "search", "--filter", "metrics.val_accuracy > 0.8 and params.batchSize = 32", "--order-by", "metrics.val_accuracy DESC", "-q");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(lines(r.stdout)).toEqual([id.d, id.c, id.a]);
});

test("the table shows the run, its experiment and the --order-by column first", async () => {
  const r = await run("runs", "search", "--filter", "params.batchSize = 32", "--order-by", "metrics.val_accuracy DESC");
  expect(r.code).toBe(0);
  const out = lines(r.stdout);
  expect(out[0]).toMatch(/^run\s+experiment\s+status\s+started\s+val_accuracy\s+batchSize\s+lr$/);
  expect(out[1]).toMatch(new RegExp(`^${id.d}\\s+other\\s+FINISHED\\s+\\S+ \\S+\\s+0\\.95\\s+32\\s+3$`));
  expect(out.slice(1, 5).map((l) => l.split(/\s+/)[0])).toEqual([id.d, id.c, id.a, id.e]); // e has no metric: last
  expect(out[5]).toBe("4 runs");
});

test("--experiment (repeated), --limit, --json", async () => {
  const one = await run("runs", "search", "-e", "logreg", "--order-by", "metrics.val_accuracy", "-q");
  expect(lines(one.stdout)).toEqual([id.a, id.c, id.b]);
  const two = await run("runs", "search", "--experiment", "other", "--experiment", "logreg", "--filter", "params.lr >= 1", "-q");
  expect(lines(two.stdout)).toEqual([id.c, id.d]);
  const limited = await run("runs", "search", "--order-by", "metrics.val_accuracy DESC", "--order-by", "params.lr", "--limit", "2", "-q");
  expect(lines(limited.stdout)).toEqual([id.d, id.b]);
  const json = await run("--json", "runs", "search", "--filter", "params.lr = '0.1'", "--order-by", "metrics.val_accuracy desc");
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout) as Array<{ runId: string; params: Record<string, unknown>; metrics: Record<string, number>; parentRunId: string | null }>;
  expect(parsed.map((p) => p.runId)).toEqual([id.b, id.a]);
  expect(parsed[0]).toMatchObject({ params: { batchSize: 256, lr: 0.1 }, metrics: { val_accuracy: 0.9 }, parentRunId: null });
});

test("no match says so", async () => {
  const r = await run("runs", "search", "--filter", "metrics.val_accuracy > 2");
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("(no runs match)\n");
});

test("runs list --filter", async () => {
  const r = await run("runs", "list", "logreg", "--filter", "params.batchSize = 32 OR metrics.val_accuracy >= 0.9", "--sort", "metrics.val_accuracy", "--desc", "-q");
  expect(r.code).toBe(0);
  expect(lines(r.stdout)).toEqual([id.b, id.c, id.a]);
  const json = await run("--json", "runs", "list", "other", "--filter", "metrics.val_accuracy IS NULL");
  expect((JSON.parse(json.stdout) as Array<{ runId: string }>).map((x) => x.runId)).toEqual([id.e]);
});

test("a bad filter prints the caret message on stderr and exits 2, no stack trace", async () => {
  const r = await run("runs", "search", "--filter", "metrics.acc > and params.lr = 1");
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe("runelog: filter: expected a value after '>' at column 15\n  metrics.acc > and params.lr = 1\n                ^\n");
  const list = await run("runs", "list", "logreg", "--filter", "params.lr IN ()");
  expect(list.code).toBe(2);
  expect(list.stderr).toBe("runelog: filter: expected a value after '(' at column 15\n  params.lr IN ()\n                ^\n");
  const order = await run("runs", "search", "--order-by", "metrics.val_accuracy DOWN");
  expect(order.code).toBe(2);
  expect(order.stderr).toMatch(/^runelog: orderBy: expected ASC, DESC or the end of the entry, got 'DOWN' at column 22\n {2}metrics.val_accuracy DOWN\n {23}\^\n$/);
  for (const out of [r, list, order]) expect(out.stderr).not.toMatch(/\n\s+at /);
});

test("an unknown experiment is one line, exit 1", async () => {
  const r = await run("runs", "search", "-e", "nope");
  expect(r.code).toBe(1);
  expect(r.stderr).toBe("runelog: experiment not found: nope\n");
});
