/**
 * The PostgreSQL store through the public API, with the same guarantees the folder store is tested
 * for: real processes racing, SIGKILL mid-batch, verify() over the same checksums and chain, asOf,
 * snapshots, following by LISTEN/NOTIFY, a bounded connect. Each test uses a schema of its own.
 * Workers are the compiled scripts in dist/test/workers (they take the URL where a folder would go).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import pg from "pg";
import { ArtifactNotFound, RuneLog, StoreUnavailable } from "../src/index.js";
import { parsePostgresUrl } from "../src/store/postgres/index.js";
import { dropSchema, PG_URL, pgSkipReason, schemaUrl } from "./helpers/postgres.js";
import { removeDir, tempDir } from "./helpers/store.js";
import { release, runTogether, startWorker } from "./workers/harness.js";

const WORKERS = resolve(__dirname, "..", "dist", "test", "workers");
const worker = (name: string) => {
  const script = join(WORKERS, `${name}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npx tsc\` first`);
  return script;
};

jest.setTimeout(120_000);

/** Rows of the schema's events table, by SQL (not through runelog). */
async function sql<R extends pg.QueryResultRow = any>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${pg.escapeIdentifier(schema)}`);
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function schemaExists(url: string): Promise<boolean> {
  const { schema } = parsePostgresUrl(url);
  return (await sql(url, "SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).length > 0;
}

if (!PG_URL) {
  test.skip(pgSkipReason, () => {});
} else {
  let url: string;
  let cacheDir: string;
  const trackers: RuneLog[] = [];
  const open = (options: Record<string, unknown> = {}) => {
    const t = new RuneLog({ path: url, cacheDir, ...options });
    trackers.push(t);
    return t;
  };
  beforeEach(() => {
    url = schemaUrl("api");
    cacheDir = tempDir("runelog-pg-cache-");
  });
  afterEach(async () => {
    await Promise.all(trackers.splice(0).map((t) => t.close()));
    await dropSchema(url);
    removeDir(cacheDir);
  });

  test("a store that does not exist reads as empty and creates nothing; the first write creates the schema", async () => {
    const t = open();
    expect((await t.verify()).ok).toBe(true);
    expect(await schemaExists(url)).toBe(false);
    expect((await t.listExperiments()).map((e) => e.name)).toEqual(["Default"]);
    expect(await t.getRun("01J00000000000000000000000")).toBeNull();
    expect(await t.getModelVersions("m")).toEqual([]);
    expect((await t.verify()).ok).toBe(true);
    const events: unknown[] = [];
    for await (const e of t.events()) events.push(e);
    expect(events).toEqual([]);
    expect(await schemaExists(url)).toBe(false);

    await t.getOrCreateExperiment("first");
    expect(await schemaExists(url)).toBe(true);
    expect((await open().listExperiments()).map((e) => e.name)).toEqual(["Default", "first"]);
  });

  test("every call behaves as on a folder: runs, odd numbers, artifacts, models, registry, deletes, asOf, verify", async () => {
    const t = open();
    const file = join(cacheDir, "notes.txt");
    writeFileSync(file, "hello team store");
    const runId = await t.startRun({ experimentName: "mnist", logCode: false, logGitMeta: false }, async (run) => {
      await t.logParams({ lr: 0.01, layers: [64, 32], name: "it's \\ a \"quote\"" });
      await run.logMetric("loss", NaN, { step: 0 });
      await run.logMetric("loss", Infinity, { step: 1 });
      await run.logMetric("loss", -0.5, { step: 2 });
      await run.logArtifact(file, { name: "notes.txt" });
      await run.logModel({ weights: [1, 2, 3] }, "model.json");
      return run.runId;
    });
    const other = open();
    const run = await other.getRunDetails(runId);
    expect(run).toMatchObject({ status: "FINISHED", params: { lr: 0.01, layers: [64, 32], name: "it's \\ a \"quote\"" }, metrics: { loss: -0.5 } });
    expect(run!.metricHistory.loss!.map((p) => p.value)).toEqual([NaN, Infinity, -0.5]);
    expect(run!.artifacts.sort()).toEqual(["model.json", "notes.txt"]);

    const path = await other.getArtifactAbspath(runId, "notes.txt");
    expect(path.startsWith(resolve(cacheDir) + sep)).toBe(true);
    expect(path.endsWith(`${sep}notes.txt`)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("hello team store");

    expect(await other.registerModel(runId, "model.json", "net")).toBe("1");
    expect(await other.registerModel(runId, "model.json", "net")).toBe("2");
    await other.setModelAlias("net", "champion", "1");
    expect(await t.loadRegisteredModel("net", "@champion")).toEqual({ weights: [1, 2, 3] });
    const before = new Date();
    await new Promise((r) => setTimeout(r, 5));

    // Deleting the run releases the notes' blob; the model's stays, held by the registry.
    await t.deleteRun(runId);
    expect(await open().getRun(runId)).toBeNull();
    const blobs = await sql(url, "SELECT size FROM blobs ORDER BY size");
    expect(blobs).toHaveLength(1);
    expect(await open().loadRegisteredModel("net", "latest")).toEqual({ weights: [1, 2, 3] });

    const past = open().asOf(before);
    expect(await past.getRun(runId)).toMatchObject({ runId, status: "FINISHED" });
    await expect(past.getArtifactAbspath(runId, "notes.txt")).rejects.toBeInstanceOf(ArtifactNotFound);

    const report = await open().verify();
    expect(report.ok).toBe(true);
    expect(report.journals.map((j) => j.events)).toEqual([2, 9, 3]);
  });

  test("verify() finds an edited row (bad checksum) and a removed one (broken chain), as it would in a file", async () => {
    const t = open();
    await t.startRun({ experimentName: "tamper", logCode: false, logGitMeta: false }, async (run) => {
      for (let i = 0; i < 5; i++) await run.logMetric("m", i, { step: i });
    });
    expect((await t.verify()).ok).toBe(true);
    await sql(url, `UPDATE events SET data = '{"runId":"x","metrics":{"m":42},"step":2,"timestamp":0}' WHERE stream = 'experiments/1' AND seq = 4`);
    await sql(url, `DELETE FROM events WHERE stream = 'experiments/1' AND seq = 6`);
    const report = await open().verify();
    expect(report.ok).toBe(false);
    const journal = report.journals.find((j) => j.file.endsWith("experiments/1"))!;
    expect(journal.problems.map((p) => [p.line, p.kind])).toEqual([
      [4, "bad-checksum"],
      [7, "broken-chain"],
    ]);
    await expect(open().getExperimentRuns("1")).rejects.toThrow(/journal corrupted: .*experiments\/1 line 4/);
  });

  test("6 processes logging 300 metrics each into one experiment: every event once, one unbroken chain", async () => {
    const N = 300;
    const labels = ["w0", "w1", "w2", "w3", "w4", "w5"];
    const results = await runTogether(worker("logger"), labels.map((label) => [url, "shared", String(N), label]));
    const outs = results.map((r) => r.messages.find((m) => m.runId));
    const t = open();
    expect((await t.listExperiments()).filter((e) => e.name === "shared")).toHaveLength(1);
    for (const o of outs) {
      expect((await t.getMetricHistory(o.runId, "m")).map((p) => p.value)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(await t.getRun(o.runId)).toMatchObject({ status: "FINISHED", tags: { done: "yes" } });
    }
    const rows = await sql(url, `SELECT seq FROM events WHERE stream = $1 ORDER BY seq`, [`experiments/${outs[0].experimentId}`]);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: labels.length * (N + 4) }, (_, i) => i + 1));
    expect((await t.verify()).ok).toBe(true);
  });

  test("8 processes racing getOrCreateExperiment on one name: exactly one experiment", async () => {
    const results = await runTogether(worker("experiment"), Array.from({ length: 8 }, () => [url, "race"]));
    const ids = results.flatMap((r) => r.messages.find((m) => m.ids).ids as string[]);
    expect(ids).toHaveLength(16);
    expect(new Set(ids).size).toBe(1);
    expect((await open().listExperiments()).map((e) => e.name)).toEqual(["Default", "race"]);
    const created = await sql(url, `SELECT data->>'name' AS name FROM events WHERE stream = 'catalog' AND type = 'ExperimentCreated'`);
    expect(created.map((r) => r.name)).toEqual(["Default", "race"]);
  });

  test("8 processes racing registerModel (3 each): versions exactly 1..24, no gap, no duplicate", async () => {
    const t = open();
    const run = await t.startRun({ experimentName: "models", logCode: false, logGitMeta: false });
    await run.logModel({ weights: [1, 2, 3] }, "model.json");
    await run.end();
    const results = await runTogether(worker("register"), Array.from({ length: 8 }, () => [url, run.runId, "model.json", "net", "3"]));
    const returned = results.flatMap((r) => r.messages.find((m) => m.versions).versions as string[]);
    const all = Array.from({ length: 24 }, (_, i) => String(i + 1));
    expect([...returned].sort((a, b) => Number(a) - Number(b))).toEqual(all);
    expect((await open().getModelVersions("net", { ascending: true })).map((v) => v.version)).toEqual(all);
  });

  test("a process SIGKILLed while logging loses no acknowledged event and repeats none", async () => {
    const w = startWorker(worker("crasher"), [url, "crash"]);
    let info: { runId: string; experimentId: string };
    try {
      await release([w]);
      info = await w.waitFor((m) => m?.runId);
      expect(await w.waitFor((m) => m?.acked >= 301)).toBeDefined();
    } finally {
      w.child.kill("SIGKILL");
    }
    const result = await w.done;
    expect(result.signal).toBe("SIGKILL");
    let acked = -1;
    for (const m of result.messages) if (typeof m.acked === "number" && m.acked > acked) acked = m.acked;
    const logged = (await sql(url, `SELECT (data->'metrics'->>'m')::int AS m FROM events WHERE stream = $1 AND type = 'MetricsLogged' ORDER BY seq`, [`experiments/${info!.experimentId}`])).map((r) => r.m);
    expect(logged.length).toBeGreaterThanOrEqual(acked + 1);
    expect(logged).toEqual(Array.from({ length: logged.length }, (_, i) => i));
    const t = open();
    expect((await t.getRun(info!.runId))?.status).toBe("KILLED");
    expect((await t.verify()).ok).toBe(true);
  });

  test("events({ follow }) is pushed by NOTIFY: another process's events arrive without polling", async () => {
    const t = open();
    await t.getOrCreateExperiment("live");
    const controller = new AbortController();
    const seen: number[] = [];
    let caughtUp!: () => void;
    const ready = new Promise<void>((r) => (caughtUp = r));
    const following = (async () => {
      for await (const e of t.events({ experiment: "live", follow: true, signal: controller.signal, onCaughtUp: () => caughtUp() })) {
        if (e.type === "MetricsLogged") seen.push(e.data.metrics.m as number);
        if (seen.length === 50) controller.abort();
      }
    })();
    await ready;
    await runTogether(worker("logger"), [[url, "live", "50", "solo"]]);
    await following;
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test("snapshots: a cold tracker starts from a checksummed snapshot; a damaged one is ignored", async () => {
    const t = open();
    const run = await t.startRun({ experimentName: "big", logCode: false, logGitMeta: false });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 100_010; i++) pending.push(run.logMetric("m", i, { step: i }));
    await Promise.all(pending);
    await run.end();
    // Read once and close at once, as a script does: the fold uploads its snapshot in the background, and close() waits for it.
    const reader = new RuneLog({ path: url, cacheDir });
    expect((await reader.getRun(run.runId))?.metrics.m).toBe(100_009);
    await reader.close();
    const snaps = await sql(url, `SELECT stream, projection FROM snapshots`);
    expect(snaps.map((s) => s.stream)).toContain(`experiments/${run.experimentId}`);
    expect((await open().getRun(run.runId))?.metrics.m).toBe(100_009);
    await sql(url, `UPDATE snapshots SET body = overlay(body placing '\\x00'::bytea from 40 for 1)`);
    expect((await open().getRun(run.runId))?.metrics.m).toBe(100_009);
  });

  test("a wrong password, a missing database and an unreachable host reject with StoreUnavailable, bounded, naming host and port but not the password", async () => {
    const bad = new URL(PG_URL!);
    bad.password = "not-the-password";
    const wrong = new RuneLog({ path: bad.toString(), connectTimeoutMs: 2000 });
    const err = await wrong.listExperiments().catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailable);
    expect(err.message).toContain(`${bad.hostname}:${bad.port}`);
    expect(err.message).not.toContain("not-the-password");
    await wrong.close();

    const noDb = new URL(PG_URL!);
    noDb.pathname = "/no_such_database_here";
    await expect(new RuneLog({ path: noDb.toString(), connectTimeoutMs: 2000 }).getOrCreateExperiment("x")).rejects.toBeInstanceOf(StoreUnavailable);

    // 192.0.2.0/24 (TEST-NET-1) routes nowhere: the connect must give up at the bound, not hang.
    const t0 = Date.now();
    const away = new RuneLog({ path: "postgres://u:secret@192.0.2.1:5432/db", connectTimeoutMs: 1500 });
    const e2 = await away.startRun({ logCode: false, logGitMeta: false }).catch((e) => e);
    expect(e2).toBeInstanceOf(StoreUnavailable);
    expect(e2.message).toMatch(/^cannot reach postgres at 192\.0\.2\.1:5432/);
    expect(e2.message).not.toContain("secret");
    expect(Date.now() - t0).toBeLessThan(15_000);
    await away.close();
  });

  test("the CLI says `runelog: cannot reach postgres at …` in one line for a wrong password", () => {
    const bad = new URL(PG_URL!);
    bad.password = "nope";
    const cli = resolve(__dirname, "..", "dist", "src", "cli", "main.js");
    const r = spawnSync(process.execPath, [cli, "experiments", "list", "--path", bad.toString()], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^runelog: cannot reach postgres at 127\.0\.0\.1:\d+/);
    expect(r.stderr).not.toContain("nope");
  });

  test("a script exits on its own after its writes (no close); tracker.close() ends the pool at once", () => {
    const script = join(cacheDir, "script.mjs");
    const index = resolve(__dirname, "..", "dist", "src", "index.js");
    writeFileSync(script, `import { RuneLog } from ${JSON.stringify(index)};
const t = new RuneLog(${JSON.stringify(url)});
await t.startRun({ experimentName: "exits", logCode: false, logGitMeta: false }, async (run) => { await run.logMetric("m", 1); });
const c = new AbortController();
for await (const e of t.events({ follow: true, signal: c.signal, onCaughtUp: () => c.abort() })) {}
console.log("done");
`);
    const t0 = Date.now();
    const out = execFileSync(process.execPath, [script], { encoding: "utf8", timeout: 30_000 });
    expect(out.trim()).toBe("done");
    expect(Date.now() - t0).toBeLessThan(25_000);
  });
}
