/**
 * runelog migrate FROM TO: folder → folder always; folder → PostgreSQL → folder when
 * RUNELOG_TEST_PG_URL is set. The round trip must give back the journals byte for byte.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RuneLog } from "../src/index.js";
import { cli, expectOneLineError } from "./helpers/cli.js";
import { dropSchema, PG_URL, pgSkipReason, schemaUrl } from "./helpers/postgres.js";
import { removeDir, snapshotFiles, tempDir } from "./helpers/store.js";

jest.setTimeout(120_000);

/** A store with a bit of everything: two experiments, artifacts, a model registered, a deleted run, a deleted experiment. */
async function buildStore(dir: string): Promise<{ keptRun: string }> {
  const t = new RuneLog(dir);
  const file = join(dir, "notes.txt");
  writeFileSync(file, "kept bytes");
  const keptRun = await t.startRun({ experimentName: "a", logCode: false, logGitMeta: false }, async (run) => {
    await run.logParams({ lr: 0.1, tag: "ü ☃ \"q\" \\" });
    for (let i = 0; i < 50; i++) await run.logMetric("loss", i === 3 ? NaN : 1 / (i + 1), { step: i });
    await run.logArtifact(file);
    await run.logModel({ w: [1, 2] }, "model.json");
    return run.runId;
  });
  await t.registerModel(keptRun, "model.json", "net");
  await t.setModelAlias("net", "prod", "1");
  const gone = await t.startRun({ experimentName: "a", logCode: false, logGitMeta: false });
  await gone.logArtifact(file, { name: "also.txt" });
  await gone.end();
  await t.deleteRun(gone.runId);
  await t.startRun({ experimentName: "b", logCode: false, logGitMeta: false }, async (run) => run.logMetric("x", 1));
  await t.deleteExperiment("b");
  return { keptRun };
}

const journalsOf = (dir: string) => Object.fromEntries(Object.entries(snapshotFiles(join(dir, ".runelog"))).filter(([k]) => k.endsWith(".ndjson")));

async function eventsOf(path: string) {
  const out: unknown[] = [];
  for await (const e of new RuneLog(path).events()) out.push(e);
  return out;
}

let dirs: string[] = [];
const dir = () => {
  const d = tempDir("runelog-migrate-");
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) removeDir(d);
  dirs = [];
});

test("folder → folder: the same journals byte for byte, the blobs still held, verify ok; a non-empty target is refused", async () => {
  const src = dir();
  const { keptRun } = await buildStore(src);
  const dst = dir();
  const r = await cli(["migrate", src, dst]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/copied \d+ events in 4 journals and 2 blobs/);
  expect(r.stdout).toMatch(/verify: ok/);
  expect(journalsOf(dst)).toEqual(journalsOf(src));
  const copy = new RuneLog(dst);
  expect(readFileSync(await copy.getArtifactAbspath(keptRun, "notes.txt"), "utf8")).toBe("kept bytes");
  expect(await copy.loadRegisteredModel("net", "@prod")).toEqual({ w: [1, 2] });

  const again = await cli(["migrate", src, dst]);
  expectOneLineError(again, /already holds events; migrate copies only into an empty store/);
  expect(journalsOf(dst)).toEqual(journalsOf(src));
});

test("an empty source is refused in one line", async () => {
  expectOneLineError(await cli(["migrate", dir(), dir()]), /nothing to migrate/);
});

if (!PG_URL) {
  test.skip(pgSkipReason, () => {});
} else {
  test("folder → PostgreSQL → folder: ids, times and order kept; verify ok on the database; the journals come back byte for byte", async () => {
    const src = dir();
    const { keptRun } = await buildStore(src);
    const url = schemaUrl("migrate");
    try {
      const up = await cli(["migrate", src, url]);
      expect(up.stderr).toBe("");
      expect(up.stdout).toMatch(/verify: ok/);
      expect(up.stdout).not.toContain("runelog-test"); // the password is never shown
      expect(await eventsOf(url)).toEqual(await eventsOf(src));
      const db = new RuneLog({ path: url, cacheDir: dir() });
      expect((await db.verify()).ok).toBe(true);
      expect(await db.getRun(keptRun)).toEqual(await new RuneLog(src).getRun(keptRun));
      expect(readFileSync(await db.getArtifactAbspath(keptRun, "notes.txt"), "utf8")).toBe("kept bytes");
      await db.close();

      expectOneLineError(await cli(["migrate", src, url]), /already holds events/);

      const back = dir();
      const down = await cli(["migrate", url, back]);
      expect(down.stderr).toBe("");
      expect(down.stdout).toMatch(/verify: ok/);
      expect(journalsOf(back)).toEqual(journalsOf(src));
    } finally {
      await dropSchema(url);
    }
  });
}
