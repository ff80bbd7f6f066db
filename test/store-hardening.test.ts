/**
 * Issue 8, the store's side: a damaged snapshot never changes an answer (and verify() warns of it);
 * planted symbolic links under .runelog/ are never followed for a write; an artifact logged into a
 * deleted experiment is refused and its bytes released; reads create nothing; $RUNELOG_PATH.
 */
import { libraryForOtherUsers } from "./helpers/other-user.js";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getTracker, RunNotFound, RuneLog } from "../src/index.js";
import { runsProjection } from "../projections/index.js";
import { Projector } from "../src/projector.js";
import { FileStore } from "../src/store/file/index.js";
import { DEFAULT_STORE_OPTIONS } from "../src/store/index.js";
import { StorePaths } from "../src/store/file/paths.js";
import { FileSnapshotStore } from "../src/store/file/snapshots.js";
import { caught, openStore, QUIET, type TestStore } from "./helpers/api.js";
import { cli } from "./helpers/cli.js";
import { removeDir, snapshotFiles, tempDir } from "./helpers/store.js";

let store: TestStore;
let outside: string;
beforeEach(() => {
  store = openStore("runelog-hardening-");
  outside = tempDir("runelog-outside-");
});
afterEach(() => {
  store.done();
  removeDir(outside);
});

/** Every file under a folder, with its bytes: what "nothing outside changed" compares. */
const filesOf = (dir: string) => snapshotFiles(dir);

/** A snapshot of experiment 1's runs as it is now, written by the store's own snapshot code. */
async function saveSnapshot(dir: string): Promise<void> {
  const files = new FileStore(dir, DEFAULT_STORE_OPTIONS);
  const projector = new Projector(files.journals.open("experiments/1"), runsProjection, { onCorrupt: "throw" });
  const { state, position } = await projector.current();
  const codec = runsProjection.snapshot!;
  await files.snapshots.save("experiments/1", runsProjection.name, codec.version, position, codec.save(state));
}

function f64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return b;
}

describe("snapshots are checksummed: a damaged one is ignored, rebuilt, and verify() warns", () => {
  test("8 bytes changed inside a snapshot do not change getRun; verify() stays ok and lists the snapshot as a warning", async () => {
    const runId = await store.tracker.startRun({ ...QUIET, experimentName: "snap" }, async (run) => {
      await run.logMetric("loss", 12345.678, { step: 1 });
      return run.runId;
    });
    await saveSnapshot(store.dir);
    const file = join(store.storeDir, "snapshots", readdirSync(join(store.storeDir, "snapshots"))[0]!);
    expect((await new RuneLog(store.dir).getRun(runId))!.metrics.loss).toBe(12345.678); // a good snapshot serves
    expect((await new RuneLog(store.dir).verify()).warnings).toEqual([]);

    const bytes = readFileSync(file);
    const at = bytes.indexOf(f64(12345.678));
    expect(at).toBeGreaterThan(0);
    f64(99999.5).copy(bytes, at);
    writeFileSync(file, bytes);

    const report = await new RuneLog(store.dir).verify();
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ file: expect.stringContaining(".runelog/snapshots/"), kind: "bad-snapshot" })]);
    expect((await new RuneLog(store.dir).getRun(runId))!.metrics.loss).toBe(12345.678);
    // That read folded the journal and replaced the damaged snapshot.
    expect((await new RuneLog(store.dir).verify()).warnings).toEqual([]);
    expect((await new RuneLog(store.dir).getRun(runId))!.metrics.loss).toBe(12345.678);
  });

  test("runelog verify prints a bad snapshot as a warning and still exits 0", async () => {
    await store.tracker.startRun({ ...QUIET, experimentName: "snap" }, async (run) => run.logMetric("loss", 1));
    await saveSnapshot(store.dir);
    const file = join(store.storeDir, "snapshots", readdirSync(join(store.storeDir, "snapshots"))[0]!);
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from("x")]));
    const r = await cli(["--path", store.dir, "verify"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/! \.runelog\/snapshots\/experiments-1\.runs\.snapshot {2}bad-snapshot: /);
    const json = await cli(["--path", store.dir, "--json", "verify"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, warnings: [{ kind: "bad-snapshot" }] });
  });

  test("a damaged snapshot is replaced by a good one on the next catch-up", async () => {
    await store.tracker.startRun({ ...QUIET, experimentName: "snap" }, async (run) => run.logMetric("loss", 1));
    const snapshots = new FileSnapshotStore(new StorePaths(store.dir));
    await saveSnapshot(store.dir);
    const file = join(store.storeDir, "snapshots", readdirSync(join(store.storeDir, "snapshots"))[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    expect(await snapshots.load("experiments/1", runsProjection.name, runsProjection.snapshot!.version)).toBe("damaged");
    await new RuneLog(store.dir).getExperimentRuns("1");
    expect((await new RuneLog(store.dir).verify()).warnings).toEqual([]);
  });
});

describe("planted symbolic links under .runelog/ are never followed for a write", () => {
  async function runWithArtifact(): Promise<{ runId: string; file: string }> {
    const file = join(store.dir, "data.csv");
    writeFileSync(file, "a,b\n1,2\n");
    const runId = await store.tracker.startRun({ ...QUIET }, async (run) => {
      await run.logArtifact(file);
      return run.runId;
    });
    return { runId, file };
  }

  test("artifacts/<runId> → a folder outside: getArtifactAbspath and logArtifact write nothing there; deleteRun deletes nothing there", async () => {
    const { runId, file } = await runWithArtifact();
    const runDir = join(store.storeDir, "artifacts", runId);
    rmSync(runDir, { recursive: true });
    writeFileSync(join(outside, "data.csv"), "precious");
    symlinkSync(outside, runDir);
    const before = filesOf(outside);

    const err = await caught(() => store.tracker.getArtifactAbspath(runId, "data.csv"));
    expect(err).toMatchObject({ code: "UNSAFE_STORE_PATH" });
    expect((err as Error).message).toContain(`.runelog/artifacts/${runId}`);
    expect(filesOf(outside)).toEqual(before);

    const run = await store.tracker.resumeRun(runId);
    await expect(run.logArtifact(file, { name: "new.csv" })).rejects.toMatchObject({ code: "UNSAFE_STORE_PATH" });
    await run.end();
    await store.tracker.deleteRun(runId);
    expect(filesOf(outside)).toEqual(before);
  });

  test("a planted link at the artifact's own path is replaced, never written through", async () => {
    const { runId } = await runWithArtifact();
    const link = join(store.storeDir, "artifacts", runId, "data.csv");
    rmSync(link);
    writeFileSync(join(outside, "target"), "precious");
    symlinkSync(join(outside, "target"), link);
    const path = await store.tracker.getArtifactAbspath(runId, "data.csv");
    expect(path).toBe(link);
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, "utf8")).toBe("a,b\n1,2\n");
    expect(readFileSync(join(outside, "target"), "utf8")).toBe("precious");
  });

  test.each(["blobs", "tmp"])("%s/ → a folder outside: logArtifact and logModel write nothing there", async (dir) => {
    await runWithArtifact();
    rmSync(join(store.storeDir, dir), { recursive: true, force: true });
    symlinkSync(outside, join(store.storeDir, dir));
    const run = await store.tracker.startRun({ ...QUIET });
    const file = join(store.dir, "other.bin");
    writeFileSync(file, "other bytes");
    await expect(run.logArtifact(file)).rejects.toMatchObject({ code: "UNSAFE_STORE_PATH" });
    await expect(run.logModel({ w: 2 }, "m.json")).rejects.toMatchObject({ code: "UNSAFE_STORE_PATH" });
    await run.end();
    expect(readdirSync(outside)).toEqual([]);
  });

  test("snapshots/ → a folder outside: a snapshot is never written there", async () => {
    mkdirSync(store.storeDir, { recursive: true });
    symlinkSync(outside, join(store.storeDir, "snapshots"));
    const snapshots = new FileSnapshotStore(new StorePaths(store.dir));
    await expect(snapshots.save("experiments/1", "runs", 1, { seq: 0 } as never, {})).rejects.toMatchObject({ code: "UNSAFE_STORE_PATH" });
    expect(readdirSync(outside)).toEqual([]);
  });

  test("a journal that is a link to a file outside, or experiments/ → a folder outside: appends refuse and write nothing there", async () => {
    await (await store.tracker.startRun({ ...QUIET, experimentName: "one" })).end();
    const journal = join(store.storeDir, "experiments", "1.ndjson");
    renameSync(journal, join(outside, "1.ndjson"));
    symlinkSync(join(outside, "1.ndjson"), journal);
    const before = filesOf(outside);
    await expect(new RuneLog(store.dir).startRun({ ...QUIET, experimentName: "one" })).rejects.toMatchObject({ code: "UNSAFE_STORE_PATH" });
    expect(filesOf(outside)).toEqual(before);

    rmSync(join(store.storeDir, "experiments"), { recursive: true });
    symlinkSync(outside, join(store.storeDir, "experiments"));
    await expect(new RuneLog(store.dir).startRun({ ...QUIET, experimentName: "one" })).rejects.toMatchObject({ code: "UNSAFE_STORE_PATH" });
    expect(filesOf(outside)).toEqual(before);
  });
});

describe("artifact names with folders", () => {
  test("plots/loss.png is a file in a folder inside the store; 'a' and 'a/b' cannot both be files: InvalidInput naming name", async () => {
    const file = join(store.dir, "loss.png");
    writeFileSync(file, "png");
    const run = await store.tracker.startRun({ ...QUIET });
    await run.logArtifact(file, { name: "plots/loss.png" });
    const path = await store.tracker.getArtifactAbspath(run.runId, "plots/loss.png");
    expect(path).toBe(join(store.storeDir, "artifacts", run.runId, "plots", "loss.png"));
    expect(readFileSync(path, "utf8")).toBe("png");
    const before = snapshotFiles(store.storeDir);
    const err = await caught(() => run.logArtifact(file, { name: "plots/loss.png/x" }));
    expect(err).toMatchObject({ code: "INVALID_INPUT", argument: "name" });
    expect(snapshotFiles(store.storeDir)).toEqual(before);
    await run.end();
  });
});

describe("an artifact logged into a run whose experiment was deleted meanwhile", () => {
  test.each(["logArtifact", "logModel"])("%s: RunNotFound, and its bytes are not kept in blobs/", async (call) => {
    const run = await store.tracker.startRun({ ...QUIET, experimentName: "doomed" });
    await run.logParam("p", 1);
    await store.reopen().deleteExperiment("doomed");
    const file = join(store.dir, "late.bin");
    writeFileSync(file, "late bytes, kept by nothing");
    const err = await caught(() => (call === "logArtifact" ? run.logArtifact(file) : run.logModel({ late: true }, "late.json")));
    expect(err).toBeInstanceOf(RunNotFound);
    const blobs = join(store.storeDir, "blobs");
    const left = existsSync(blobs) ? readdirSync(blobs).flatMap((d) => readdirSync(join(blobs, d))) : [];
    expect(left).toEqual([]);
    const runDir = join(store.storeDir, "artifacts", run.runId);
    expect(existsSync(runDir) ? readdirSync(runDir) : []).toEqual([]);
  });
});

describe("reads create nothing; a missing store reads as an empty one", () => {
  test("every read on a folder with no store answers as an empty store and creates no file or folder", async () => {
    const t = new RuneLog(store.dir);
    expect((await t.listExperiments()).map((e) => [e.experimentId, e.name])).toEqual([["0", "Default"]]);
    expect(await t.getExperiment("0")).toMatchObject({ experimentId: "0", name: "Default" });
    expect(await t.getRun("01HZZZZZZZZZZZZZZZZZZZZZZZ")).toBeNull();
    expect(await t.getModelVersions("m")).toEqual([]);
    expect(await t.listRegisteredModels()).toEqual([]);
    expect(await t.getExperimentRuns("0")).toEqual([]);
    expect((await t.getExperimentSummaries()).map((s) => s.name)).toEqual(["Default"]);
    expect((await t.loadResults("Default")).numRows()).toBe(0);
    const events = [];
    for await (const e of t.events()) events.push(e);
    expect(events).toEqual([]);
    expect(await t.verify()).toEqual({ ok: true, journals: [], warnings: [] });
    expect(await t.asOf(new Date()).listExperiments()).toHaveLength(1);
    expect(readdirSync(store.dir)).toEqual([]);
  });

  test("in a folder the caller cannot write (another uid, mode 0555), reads answer as an empty store", async () => {
    expect(existsSync(join(__dirname, "..", "dist", "src", "index.js"))).toBe(true); // npm run build first
    chmodSync(store.dir, 0o555);
    try {
      const script = `import(${JSON.stringify(libraryForOtherUsers())}).then(async ({ RuneLog }) => {
        const t = new RuneLog(${JSON.stringify(store.dir)});
        console.log(JSON.stringify([(await t.listExperiments()).map((e) => e.name), await t.getRun("x"), await t.getModelVersions("m"), await t.verify()]));
      })`;
      // As root, permissions do not apply: drop to the nobody user (as another user on a shared machine would be).
      const asOther = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath] : [process.execPath];
      const out = execFileSync(asOther[0]!, [...asOther.slice(1), "-e", script], { encoding: "utf8" });
      expect(JSON.parse(out)).toEqual([["Default"], null, [], { ok: true, journals: [], warnings: [] }]);
      expect(readdirSync(store.dir)).toEqual([]);
    } finally {
      chmodSync(store.dir, 0o755);
    }
  });

  test("the first write creates the store, with Default as the catalogue's first event", async () => {
    const t = new RuneLog(store.dir);
    await t.listExperiments();
    const id = await t.getOrCreateExperiment("first");
    expect(id).toBe("1");
    const catalog = readFileSync(join(store.storeDir, "catalog.ndjson"), "utf8").trim().split("\n");
    expect(catalog.map((l) => JSON.parse(l.slice(l.indexOf("{"))).data)).toEqual([{ experimentId: "0", name: "Default" }, { experimentId: "1", name: "first" }]);
    const run = await new RuneLog(store.dir).startRun({ ...QUIET });
    await run.end();
    expect((await new RuneLog(store.dir).listExperiments()).map((e) => e.name)).toEqual(["Default", "first"]);
  });

  test("a run in Default as the very first write also writes Default first", async () => {
    const run = await new RuneLog(store.dir).startRun({ ...QUIET });
    await run.end();
    const catalog = readFileSync(join(store.storeDir, "catalog.ndjson"), "utf8").trim().split("\n");
    expect(catalog).toHaveLength(1);
    expect(await new RuneLog(store.dir).getOrCreateExperiment("next")).toBe("1");
  });

  test("new RuneLog() and getTracker() use $RUNELOG_PATH when set, else the working directory", () => {
    const saved = process.env.RUNELOG_PATH;
    try {
      process.env.RUNELOG_PATH = store.dir;
      expect(new RuneLog().path).toBe(store.dir);
      expect(new RuneLog({}).path).toBe(store.dir);
      expect(getTracker().path).toBe(store.dir);
      delete process.env.RUNELOG_PATH;
      expect(new RuneLog().path).toBe(".");
    } finally {
      if (saved === undefined) delete process.env.RUNELOG_PATH;
      else process.env.RUNELOG_PATH = saved;
    }
  });
});
