/**
 * The journal lock: `<journal>.lock`, a file created with O_EXCL that names its holder (pid, host,
 * process start time, a random token). It is taken, used and released synchronously — the holder
 * never yields the event loop while it holds it — and it is broken only when its holder is provably
 * gone. Why not proper-lockfile any more: docs/concepts.md, "The journal lock".
 *
 * - Waiting: every waiter sleeps 1–2 ms between tries, however long it has waited (a growing backoff
 *   lets newcomers starve the longest waiters), and gives up with LockTimeout once its bound is
 *   spent, whatever is in the way; the error says what that is.
 * - Breaking: a holder on this host (same host name, boot and pid namespace) is gone when its pid is
 *   dead, or is now another process (a different start time). A paused holder is alive, so its lock
 *   is never broken, however long the pause. Only a lock we cannot judge that way (a holder on
 *   another host, a lock file whose content is not a runelog owner record, a proper-lockfile
 *   directory from an older runelog) falls back to the mtime lease: stale once older than staleMs.
 * - Breakers take `<journal>.lock.break` (the same kind of owner file, judged the same way) so one
 *   at a time re-checks that the lock is still the one judged gone before removing it: nobody can
 *   create the lock while the old one exists, so the breaker removes exactly the dead one.
 */
import { closeSync, fstatSync, linkSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { LockTimeout } from "../../../errors.js";

export interface LockOptions {
  /** A lock that cannot be judged by its holder's pid is taken over once older than this. At least 2000. */
  staleMs: number;
  /** Give up with LockTimeout after waiting this long. */
  timeoutMs: number;
}

export const DEFAULT_LOCK_OPTIONS: LockOptions = { staleMs: 10_000, timeoutMs: 60_000 };

/** Who holds a lock: enough to tell, from another process, whether it is still there. */
interface Owner {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id and the pid namespace: together with host, "the same machine and pid space". */
  boot: string;
  pidns: string;
  /** The process's start time in clock ticks after boot (/proc/<pid>/stat field 22): tells a reused pid. */
  start: string;
  token: string;
}

const readOr = (fn: () => string, fallback: string) => {
  try {
    return fn();
  } catch {
    return fallback;
  }
};

/** A process's start time (/proc/<pid>/stat field 22), "zombie" for one that has exited, null without /proc. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" || fields[0] === "X" ? "zombie" : (fields[19] ?? null);
  } catch {
    return null;
  }
}

const SELF = {
  pid: process.pid,
  host: hostname(),
  boot: readOr(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), ""),
  pidns: readOr(() => readlinkSync("/proc/self/ns/pid"), ""),
  start: startTimeOf(process.pid) ?? "",
};

/** The judgement of what sits at a lock path. */
type Seen =
  | { state: "free" }
  | { state: "held"; ino: number; why: string } // alive, or within its lease
  | { state: "gone"; ino: number; dir: boolean; why: string } // may be removed
  | { state: "stuck"; why: string }; // can never be removed by us

/**
 * A lock we hold: its path, and its owner file kept open. While the file is open its inode cannot
 * be freed and handed to another file, so "the inode at the path is still ours" is an exact test.
 */
export interface Held {
  path: string;
  fd: number;
  dev: number;
  ino: number;
  /** Whether another process held the lock when this one first looked (others are writing too). */
  contended: boolean;
}

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // another user's process: alive
  }
};

function parseOwner(text: string): Owner | null {
  try {
    const o = JSON.parse(text) as Owner;
    return Number.isSafeInteger(o.pid) && o.pid > 0 && typeof o.host === "string" && typeof o.token === "string" ? o : null;
  } catch {
    return null;
  }
}

function judge(path: string, staleMs: number): Seen {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: "free" };
    return { state: "stuck", why: `${path} cannot be inspected (${(err as NodeJS.ErrnoException).code})` };
  }
  const age = Date.now() - st.mtimeMs;
  const lease = (what: string): Seen =>
    age > staleMs
      ? { state: "gone", ino: st.ino, dir: st.isDirectory(), why: `${what}, untouched for ${Math.round(age)} ms` }
      : { state: "held", ino: st.ino, why: `${what}, touched ${Math.round(age)} ms ago (stale after ${staleMs} ms)` };
  if (st.isDirectory()) {
    const inside = readOr(() => readdirSync(path).length.toString(), "0");
    if (inside !== "0") return { state: "stuck", why: `${path} is a directory with ${inside} entries in it, which runelog did not make: remove it` };
    return lease(`${path} is a directory (the lock of an older runelog, or left by something else)`);
  }
  if (!st.isFile()) return { state: "stuck", why: `${path} is neither a lock file nor a directory` };
  let owner: Owner | null = null;
  try {
    owner = parseOwner(readFileSync(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: "free" };
  }
  if (!owner) return lease(`${path} holds no runelog owner record`);
  if (owner.host === SELF.host && owner.boot === SELF.boot && owner.pidns === SELF.pidns && SELF.boot !== "") {
    const start = startTimeOf(owner.pid);
    const alive = processAlive(owner.pid) && start !== "zombie" && (start === null || owner.start === "" || start === owner.start);
    return alive
      ? { state: "held", ino: st.ino, why: `held by process ${owner.pid} on this host, which is alive (perhaps paused)` }
      : { state: "gone", ino: st.ino, dir: false, why: `held by process ${owner.pid}, which is gone` };
  }
  return lease(`held by process ${owner.pid} on host ${owner.host}`);
}

/** Creates the owner file at `path`; null when something is already there. */
function create(path: string, contended: boolean): Held | null {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return null;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify({ ...SELF, token: randomBytes(12).toString("hex") } satisfies Owner));
    const st = fstatSync(fd);
    const held: Held = { path, fd, dev: st.dev, ino: st.ino, contended };
    // Written through our own fd: if a breaker took the file meanwhile (only possible after a
    // pause past the stale bound of a lease), the record went to the removed file, never into
    // someone else's lock. The path tells whether the lock is still this file.
    if (isStillMine(held)) return held;
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(path); // a full disk: leave no ownerless lock behind for others to wait out
    } catch {
      // gone already
    }
    throw err;
  }
  closeSync(fd);
  return null;
}

/** True when the file at `held`'s path is still our owner file (which we keep open). */
export function isStillMine(held: Held): boolean {
  try {
    const st = lstatSync(held.path);
    return st.ino === held.ino && st.dev === held.dev;
  } catch {
    return false;
  }
}

function release(held: Held): void {
  try {
    // Only our own: a lock broken under us (a lease judged from another host) is someone else's now.
    if (isStillMine(held)) unlinkSync(held.path);
  } catch {
    // already gone
  } finally {
    closeSync(held.fd);
  }
}

/**
 * Removes the lock at `path` if it is still the one judged gone (same inode), holding the break
 * lock; true when it was removed or is gone already.
 */
function breakLock(path: string, seen: Extract<Seen, { state: "gone" }>, staleMs: number): boolean {
  const breakPath = `${path}.break`;
  const breaker = create(breakPath, true);
  if (!breaker) {
    const other = judge(breakPath, staleMs);
    if (other.state === "gone") removeIfSame(breakPath, other);
    return false;
  }
  try {
    const again = judge(path, staleMs);
    if (again.state === "free") return true;
    if (again.state !== "gone" || again.ino !== seen.ino) return false;
    return removeIfSame(path, again);
  } finally {
    release(breaker);
  }
}

/**
 * Removes what is at `path` if it is the inode judged gone. It is moved aside first and checked
 * there, so a second breaker racing on the same path (possible only for a breaker's own lock whose
 * holder died) never removes a fresh one: a wrong catch is put back.
 */
function removeIfSame(path: string, seen: Extract<Seen, { state: "gone" }>): boolean {
  if (seen.dir) {
    // an older runelog's directory lock: its writers never make one while one exists
    try {
      rmdirSync(path);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ENOENT";
    }
  }
  const aside = `${path}.gone-${randomBytes(6).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
  let ino = -1;
  try {
    ino = lstatSync(aside).ino;
  } catch {
    // vanished: nothing to put back
  }
  if (ino === seen.ino) {
    unlinkSync(aside);
    return true;
  }
  if (ino !== -1) {
    try {
      // not the one judged: put it back where its holder expects it (a link keeps its inode, and fails if the path was taken meanwhile)
      linkSync(aside, path);
    } catch {
      // someone made a new one meanwhile; that holder's own checks see the lock is not theirs
    }
    unlinkSync(aside);
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock for `file`, runs `fn` and releases the lock, all in one synchronous stretch once
 * the lock is taken; `fn` gets the held lock, to check it is still its own. Waits (asynchronously,
 * holding nothing) while someone else holds it.
 */
export async function withLock<T>(file: string, options: LockOptions, fn: (held: Held) => T): Promise<T> {
  const path = `${file}.lock`;
  const started = Date.now();
  let judged = -Infinity;
  let contended = false;
  for (;;) {
    // First a look, which spares a failed create (an exception: ~13 µs). A synchronous lstat that
    // returns undefined for a missing file costs ~3 µs; an asynchronous one ~60–70 µs of CPU (a
    // thread-pool round trip, and an Error for a missing file), which seven waiters looking every
    // 1–2 ms turned into a third of a core.
    const free = lstatSync(path, { throwIfNoEntry: false }) === undefined;
    const held = free ? create(path, contended) : null;
    contended = true;
    if (held) {
      try {
        return fn(held);
      } finally {
        release(held);
      }
    }
    // A try is one failed open; judging the holder (a stat, a read, a look at /proc) is done now
    // and then, and before giving up, so seven waiters do not eat the holder's CPU.
    const now = Date.now();
    const waited = now - started;
    if (now - judged >= JUDGE_EVERY_MS || waited >= options.timeoutMs) {
      judged = now;
      const seen = judge(path, options.staleMs);
      if (seen.state === "gone" && breakLock(path, seen, options.staleMs) && waited < options.timeoutMs) continue;
      if (waited >= options.timeoutMs) {
        const why = seen.state === "free" ? "the lock kept changing hands" : seen.state === "gone" ? `${seen.why}, and it could not be removed` : seen.why;
        throw new LockTimeout(file, waited, why);
      }
    }
    await sleep(Math.min(1 + Math.random(), Math.max(0, options.timeoutMs - waited)));
  }
}

/** How often a waiter looks at who holds the lock (a dead holder's lock is broken at most this late). */
const JUDGE_EVERY_MS = 50;

/** The lock as one object, so a test can count how often a writer takes it (group commit). */
export const journalLock = { withLock };
