/**
 * The runelog bin's commands that change things (delete, registry writes, download) and the ones that
 * watch (events --follow, verify of a damaged store), spawned against stores seeded through the library.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { RuneLog } from "../src/index.js";
import { BIN, cli, cliEnv, expectOneLineError } from "./helpers/cli.js";
import { removeDir, tempDir } from "./helpers/store.js";

const QUIET = { logCode: false, logGitMeta: false } as const;





/** A store with experiment "cifar" (two runs, one with a model) and experiment "scratch" (one run). */
async function seed(dir: string): Promise<{ tracker: RuneLog; a: string; b: string; scratchRun: string }> {
  const tracker = new RuneLog(dir);
  const a = await tracker.startRun({ ...QUIET, experimentName: "cifar" }, async (run) => {
    await run.logParams({ lr: 0.1 });
    await run.logMetric("acc", 0.8);
    await run.logModel({ weights: [0.5, -1] }, "model");
    return run.runId;
  });
  const b = await tracker.startRun({ ...QUIET, experimentName: "cifar" }, async (run) => {
    await run.logParams({ lr: 0.2 });
    return run.runId;
  });
  const scratchRun = await tracker.startRun({ ...QUIET, experimentName: "scratch" }, async (run) => run.runId);
  return { tracker, a, b, scratchRun };
}

let dir: string;
let store: Awaited<ReturnType<typeof seed>>;

beforeAll(async () => {
  expect(existsSync(BIN)).toBe(true); // build first: npx tsc
  dir = tempDir("runelog-cli-write-");
  store = await seed(dir);
});

afterAll(() => removeDir(dir));

describe("destructive commands ask first", () => {
  test("without --yes and without a terminal on stdin they refuse, change nothing, and say to pass --yes", async () => {
    const before = readFileSync(join(dir, ".runelog", "catalog.ndjson"));
    expectOneLineError(await cli(["--path", dir, "experiments", "delete", "scratch"]), /refused without confirmation \(stdin is not a terminal\); pass --yes/);
    expectOneLineError(await cli(["--path", dir, "runs", "delete", store.b]), /Delete run .* refused without confirmation.*--yes/);
    expect(readFileSync(join(dir, ".runelog", "catalog.ndjson"))).toEqual(before);
    expect(await store.tracker.getRun(store.b)).not.toBeNull();
  });

  test("runs delete --yes deletes; an unknown run is an error before anything is deleted", async () => {
    expectOneLineError(await cli(["--path", dir, "runs", "delete", store.b, "01NOPE", "--yes"]), /run not found: 01NOPE/);
    expect(await store.tracker.getRun(store.b)).not.toBeNull();
    const r = await cli(["--path", dir, "--json", "runs", "delete", store.b, "--yes"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ deleted: [store.b] });
    expect(await store.tracker.getRun(store.b)).toBeNull();
  });

  test("experiments delete --yes deletes by name; the Default experiment cannot be deleted", async () => {
    const r = await cli(["--path", dir, "experiments", "delete", "scratch", "-y"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deleted experiment "scratch" \(id \d+\) and its 1 run/);
    expect((await store.tracker.listExperiments()).map((e) => e.name)).toEqual(["Default", "cifar"]);
    expect(await store.tracker.getRun(store.scratchRun)).toBeNull();
    expectOneLineError(await cli(["--path", dir, "experiments", "delete", "scratch", "--yes"]), /experiment not found: scratch/);
    expectOneLineError(await cli(["--path", dir, "experiments", "delete", "0", "--yes"]), /cannot be deleted/);
  });
});

describe("registry writes", () => {
  test("register, tag --add/--remove, alias set/show/delete, each with --json", async () => {
    const reg = await cli(["--path", dir, "--json", "registry", "register", store.a, "model", "cifar-net", "--tag", "stage=dev", "--tag", "owner=ml"]);
    expect(reg.code).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ modelName: "cifar-net", version: "1", sourceRunId: store.a, tags: { stage: "dev", owner: "ml" } });
    const again = await cli(["--path", dir, "registry", "register", store.a, "model", "cifar-net"]);
    expect(again.stdout).toBe(`registered cifar-net version 2 (artifact "model" of run ${store.a})\n`);

    const tagged = await cli(["--path", dir, "--json", "registry", "tag", "cifar-net", "1", "--add", "stage=prod", "--remove", "owner"]);
    expect(tagged.code).toBe(0);
    expect(JSON.parse(tagged.stdout)).toEqual({ modelName: "cifar-net", version: "1", tags: { stage: "prod" } });
    expect(await store.tracker.getModelTags("cifar-net", "1")).toEqual({ stage: "prod" });
    const shown = await cli(["--path", dir, "registry", "tag", "cifar-net", "1"]);
    expect(shown.stdout).toMatch(/cifar-net version 1 tags:\n\s+stage\s+prod\n/);

    const set = await cli(["--path", dir, "registry", "alias", "cifar-net", "champion", "2"]);
    expect(set.stdout).toBe("cifar-net@champion → version 2\n");
    const show = await cli(["--path", dir, "--json", "registry", "alias", "cifar-net", "champion"]);
    expect(JSON.parse(show.stdout)).toEqual({ modelName: "cifar-net", alias: "champion", version: "2" });
    expect(await store.tracker.loadRegisteredModel("cifar-net", "@champion")).toEqual({ weights: [0.5, -1] });
    const del = await cli(["--path", dir, "registry", "alias", "cifar-net", "champion", "--delete"]);
    expect(del.code).toBe(0);
    expect((await store.tracker.getModelVersions("cifar-net")).flatMap((v) => v.aliases)).toEqual([]);
  });

  test("registry errors are one line", async () => {
    expectOneLineError(await cli(["--path", dir, "registry", "register", store.a, "nope", "m"]), /artifact not found: nope/);
    expectOneLineError(await cli(["--path", dir, "registry", "register", "01NOPE", "model", "m"]), /run not found: 01NOPE/);
    expectOneLineError(await cli(["--path", dir, "registry", "tag", "cifar-net", "99", "--add", "a=b"]), /model version not found: cifar-net version 99/);
    expectOneLineError(await cli(["--path", dir, "registry", "tag", "cifar-net", "1", "--add", "novalue"]), /--add expects KEY=VALUE, got "novalue"/);
    expectOneLineError(await cli(["--path", dir, "registry", "alias", "cifar-net", "ghost"]), /has no alias @ghost/);
    expectOneLineError(await cli(["--path", dir, "registry", "alias", "cifar-net", "7", "1"]), /invalid alias/);
  });
});

describe("runs download-artifact", () => {
  test("copies the stored bytes to ./NAME, into a folder, or to -o FILE; never overwrites without --force", async () => {
    const out = tempDir("runelog-cli-download-");
    try {
      const r = await cli(["--path", dir, "runs", "download-artifact", store.a, "model"], { cwd: out });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^wrote model \(\d+ bytes\)\n$/);
      expect(JSON.parse(gunzipSync(readFileSync(join(out, "model"))).toString("utf8"))).toEqual({ weights: [0.5, -1] });
      expectOneLineError(await cli(["--path", dir, "runs", "download-artifact", store.a, "model"], { cwd: out }), /model already exists; pass --force/);
      const forced = await cli(["--path", dir, "--json", "runs", "download-artifact", store.a, "model", "-o", join(out, "m.bin"), "--force"]);
      expect(JSON.parse(forced.stdout)).toMatchObject({ runId: store.a, artifact: "model", path: join(out, "m.bin") });
      expect(readFileSync(join(out, "m.bin"))).toEqual(readFileSync(await store.tracker.getArtifactAbspath(store.a, "model")));
      expectOneLineError(await cli(["--path", dir, "runs", "download-artifact", store.a, "nope"]), /artifact not found: nope/);
    } finally {
      removeDir(out);
    }
  });

  test("-o into a folder that does not exist names that destination, not the store's artifact", async () => {
    const out = tempDir("runelog-cli-download-");
    try {
      const target = join(out, "missing", "dir", "f");
      const r = await cli(["--path", dir, "runs", "download-artifact", store.a, "model", "-o", target]);
      expectOneLineError(r, new RegExp(`cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the folder .*missing/dir does not exist`));
      expect(r.stderr).not.toMatch(/artifact not found/i);
    } finally {
      removeDir(out);
    }
  });
});

describe("verify of a damaged store", () => {
  test("names file:line (offset) and kind, says what to do, exits 1", async () => {
    const damaged = tempDir("runelog-cli-damaged-");
    try {
      const { tracker } = await seed(damaged);
      const journal = join(damaged, ".runelog", "experiments", "1.ndjson");
      const text = readFileSync(journal, "utf8");
      const lines = text.split("\n");
      const at = lines.findIndex((l) => l.includes('"lr":0.1'));
      expect(at).toBeGreaterThan(0);
      const offset = Buffer.byteLength(lines.slice(0, at).join("\n") + "\n");
      lines[at] = lines[at]!.replace('"lr":0.1', '"lr":0.9'); // same length; the checksum no longer matches
      writeFileSync(journal, lines.join("\n"));
      const report = await tracker.verify();
      expect(report.ok).toBe(false);

      const r = await cli(["--path", damaged, "verify"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`.runelog/experiments/1.ndjson:${at + 1} (offset ${offset}) bad-checksum`);
      expect(r.stdout).toMatch(/bad-checksum: .*restore the file from a backup/);
      expect(r.stderr).toBe("runelog: verify found damaged journal lines\n");
      const json = await cli(["--path", damaged, "--json", "verify"]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual(report);
      // Reading commands say where to look, in one line.
      expectOneLineError(await cli(["--path", damaged, "runs", "list", "cifar"]), new RegExp(`journal corrupted: .*line ${at + 1} .*runelog verify`));
    } finally {
      removeDir(damaged);
    }
  });
});

describe("events --follow", () => {
  test("prints events as they are appended, filtered by run, and exits cleanly on Ctrl-C (SIGINT)", async () => {
    const live = await store.tracker.startRun({ ...QUIET, experimentName: "cifar" });
    const child = spawn(process.execPath, [BIN, "--path", dir, "--json", "events", "--follow", "--run", live.runId], { env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const waiters: Array<() => void> = [];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      waiters.forEach((w) => w());
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on("exit", (code, signal) => done({ code, signal })));
    const lines = () => stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    const until = (check: () => boolean) =>
      new Promise<void>((done) => {
        const test = () => check() && done();
        waiters.push(test);
        test();
      });
    try {
      await until(() => lines().some((e) => e.type === "RunStarted"));
      await live.logMetric("loss", 0.25, { step: 7 });
      await store.tracker.startRun({ ...QUIET, experimentName: "cifar" }, async (other) => other.logMetric("loss", 99)); // another run: filtered out
      await live.end();
      await until(() => lines().some((e) => e.type === "RunEnded"));
      expect(lines().map((e) => e.type)).toEqual(["RunStarted", "MetricsLogged", "RunEnded"]);
      expect(lines()[1]!.data).toMatchObject({ runId: live.runId, step: 7, metrics: { loss: 0.25 } });
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stderr).toBe("");
  });

  test("--follow with --until is refused", async () => {
    expectOneLineError(await cli(["--path", dir, "events", "--follow", "--until", "2020-01-01T00:00:00Z"]), /--follow and --until do not go together/);
  });
});
