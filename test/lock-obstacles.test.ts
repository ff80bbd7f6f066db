/**
 * Issue 8, item 4: whatever sits where the journal lock goes, a writer ends its wait with
 * LockTimeout within its lockTimeoutMs (or takes the lock once the thing in the way is provably
 * stale), and the error says what is in the way. Before, a regular file or a non-empty directory
 * there, or a stale lock another user owned in a sticky-bit folder, kept writers waiting for ever.
 *
 * The time limits below are not speed targets: each is many times the bound, to tell "honoured the
 * bound" from "waits for ever".
 */
import { libraryForOtherUsers } from "./helpers/other-user.js";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { LockTimeout, RuneLog } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";

jest.setTimeout(60_000);

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-obstacle-");
});
afterEach(() => removeDir(dir));

async function seeded(): Promise<{ experimentId: string; journal: string; lock: string }> {
  const tracker = new RuneLog(dir);
  const experimentId = await tracker.getOrCreateExperiment("obstacle");
  await (await tracker.startRun({ experimentId, logCode: false, logGitMeta: false })).end();
  const journal = join(dir, ".runelog", "experiments", `${experimentId}.ndjson`);
  return { experimentId, journal, lock: `${journal}.lock` };
}

/** Starts a run with the given lock bound; resolves with what happened and how long it took. */
async function attempt(experimentId: string, lockTimeoutMs: number, lockStaleMs = 10_000): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  const tracker = new RuneLog({ path: dir, lockTimeoutMs, lockStaleMs });
  const bail = new Promise<"hung">((res) => setTimeout(() => res("hung"), lockTimeoutMs + 10_000).unref());
  const outcome = await Promise.race([tracker.startRun({ experimentId, logCode: false, logGitMeta: false }).then(() => null, (e: unknown) => e), bail]);
  return { err: outcome, ms: Date.now() - started };
}

test("a fresh regular file that is not a runelog lock: LockTimeout within the bound, naming it; once it is older than the stale bound it is removed and the write goes through", async () => {
  const { experimentId, journal, lock } = await seeded();
  writeFileSync(lock, "not a lock\n");
  const before = readFileSync(journal);
  const { err } = await attempt(experimentId, 500);
  expect(err).toBeInstanceOf(LockTimeout);
  expect((err as Error).message).toContain(`${lock} holds no runelog owner record`);
  expect(readFileSync(journal).equals(before)).toBe(true);

  utimesSync(lock, new Date(0), new Date(0));
  expect((await attempt(experimentId, 500, 2000)).err).toBeNull();
  expect(existsSync(lock)).toBe(false);
});

test("a non-empty directory where the lock goes: LockTimeout within the bound saying so, even when it is old", async () => {
  const { experimentId, lock } = await seeded();
  mkdirSync(lock);
  writeFileSync(join(lock, "something"), "x");
  utimesSync(lock, new Date(0), new Date(0));
  const { err } = await attempt(experimentId, 300, 2000);
  expect(err).toBeInstanceOf(LockTimeout);
  expect((err as Error).message).toContain(`${lock} is a directory with 1 entries in it`);
  expect((err as LockTimeout).waitedMs).toBeGreaterThanOrEqual(300);
  // a zero bound gives up at the first look
  expect((await attempt(experimentId, 0, 2000)).err).toBeInstanceOf(LockTimeout);
});

test("a lock held by a live process on this host: LockTimeout naming the process", async () => {
  const { experimentId, lock } = await seeded();
  writeFileSync(lock, JSON.stringify({ ...ownerOf(process.pid), token: "t" }));
  utimesSync(lock, new Date(0), new Date(0)); // old by mtime: a lease would break it, the live pid does not
  const { err } = await attempt(experimentId, 300, 2000);
  expect(err).toBeInstanceOf(LockTimeout);
  expect((err as Error).message).toContain(`held by process ${process.pid} on this host, which is alive (perhaps paused)`);
});

/** The owner record our lock files hold, for a pid in this process's host and pid namespace. */
function ownerOf(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return {
    pid,
    host: require("node:os").hostname(),
    boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
    pidns: require("node:fs").readlinkSync("/proc/self/ns/pid"),
    start: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19],
  };
}

test("a dead holder's lock owned by another user in a sticky-bit folder (which this user may not remove): LockTimeout within the bound saying the holder is gone and the lock cannot be removed", async () => {
  if (process.getuid?.() !== 0) throw new Error("this test needs root, to make a lock another user cannot remove");
  const { experimentId, lock } = await seeded();
  // A dead pid: a short-lived child's, reaped.
  const dead = spawn(process.execPath, ["-e", ""]);
  await new Promise((r) => dead.on("exit", r));
  writeFileSync(lock, JSON.stringify({ ...ownerOf(process.pid), pid: dead.pid, token: "t" })); // root's file
  execFileSync("chmod", ["-R", "a+rwX", dir]);
  chmodSync(dir, 0o777);
  chmodSync(join(dir, ".runelog", "experiments"), 0o1777); // shared folder, sticky: only a file's owner may remove it

  // The writer runs as nobody (uid 65534).
  const script = `
    import { RuneLog } from ${JSON.stringify(libraryForOtherUsers())};
    const t0 = Date.now();
    new RuneLog({ path: ${JSON.stringify(dir)}, lockTimeoutMs: 500 })
      .startRun({ experimentId: ${JSON.stringify(experimentId)}, logCode: false, logGitMeta: false })
      .then(() => console.log(JSON.stringify({ ok: true })), (e) => console.log(JSON.stringify({ code: e.code, message: e.message, ms: Date.now() - t0 })));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { uid: 65534, gid: 65534, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let errText = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (errText += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await new Promise((r) => child.on("exit", r));
  clearTimeout(timer);
  expect(errText).toBe("");
  const result = JSON.parse(out);
  expect(result.code).toBe("LOCK_TIMEOUT");
  expect(result.message).toContain(`held by process ${dead.pid}, which is gone, and it could not be removed`);
  // root can remove it: the lock is broken and the write goes through
  expect((await attempt(experimentId, 5000)).err).toBeNull();
});
