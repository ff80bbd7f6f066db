/**
 * The journal lock: proper-lockfile's mkdir lock (`<journal>.lock`, refreshed while held), taken
 * with our own short randomized retries, and with stale locks broken by us, one breaker at a time.
 *
 * - Retries: proper-lockfile's built-in ones (node-retry, 1 s minimum, doubling) made contended
 *   writers wait seconds for a lock held a few milliseconds. Every waiter sleeps 1–2 ms between
 *   tries (a try is one mkdir and one stat), however long it has waited: a backoff that grows would
 *   let newcomers starve the longest waiters.
 * - Stale locks: proper-lockfile's own take-over is stat → rmdir → mkdir, and two writers that both
 *   judged a dead holder's lock stale can each remove the lock the other just made, so both "hold"
 *   it and write at once. So proper-lockfile is told locks never go stale, and a waiter that finds
 *   an old lock takes a second lock (`<journal>.lock.break`, mkdir again) and, holding it, checks
 *   the lock is still old before removing it. Nobody can re-take the lock while the old one
 *   exists, and only one breaker at a time can remove it, so it removes exactly the dead one.
 */
import { mkdir, rmdir, stat } from "node:fs/promises";
import lockfile from "proper-lockfile";
import { LockTimeout } from "../errors.js";

export interface LockOptions {
  /** A lock not refreshed for this long (its holder died) is taken over. At least 2000. */
  staleMs: number;
  /** Give up with LockTimeout after waiting this long. */
  timeoutMs: number;
}

export const DEFAULT_LOCK_OPTIONS: LockOptions = { staleMs: 10_000, timeoutMs: 60_000 };

/** For proper-lockfile: never judge a lock stale (we do, in breakIfStale). */
const NEVER_STALE = Number.MAX_SAFE_INTEGER;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withLock<T>(file: string, options: LockOptions, fn: () => T): Promise<T> {
  const started = Date.now();
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    try {
      release = await lockfile.lock(file, {
        stale: NEVER_STALE,
        update: Math.max(1000, Math.floor(options.staleMs / 2)), // the holder refreshes the lock's mtime this often
        retries: 0,
        realpath: false,
        // The default throws from a timer and kills the process; a compromised lock only means we
        // held it past the stale bound, and our write already finished under it.
        onCompromised: () => {},
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      if (await breakIfStale(`${file}.lock`, options.staleMs)) continue;
      const waited = Date.now() - started;
      if (waited >= options.timeoutMs) throw new LockTimeout(file, waited);
      await sleep(1 + Math.random());
    }
  }
  try {
    return fn();
  } finally {
    await release().catch(() => {});
  }
}

const isOld = (mtimeMs: number, staleMs: number) => Date.now() - mtimeMs > staleMs;

/** Removes the lock if its holder stopped refreshing it; true when the caller should try again at once. */
async function breakIfStale(lockDir: string, staleMs: number): Promise<boolean> {
  const lock = await stat(lockDir).catch(() => null);
  if (!lock) return true; // released meanwhile
  if (!isOld(lock.mtimeMs, staleMs)) return false;
  const breaker = `${lockDir}.break`;
  try {
    await mkdir(breaker);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    // Someone else is breaking it. A break lock is held for microseconds: an old one was left by a
    // breaker that died, and is removed so the next waiter can break the main lock.
    const other = await stat(breaker).catch(() => null);
    if (other && isOld(other.mtimeMs, staleMs)) await rmdir(breaker).catch(() => {});
    return false;
  }
  try {
    const again = await stat(lockDir).catch(() => null);
    if (again && isOld(again.mtimeMs, staleMs)) await rmdir(lockDir).catch(() => {});
  } finally {
    await rmdir(breaker).catch(() => {});
  }
  return true;
}
