/**
 * The journal lock: proper-lockfile's mkdir lock, taken with our own short randomized retries.
 * proper-lockfile's built-in retries (node-retry, 1 s minimum, doubling) made contended writers wait
 * seconds for a lock held a few milliseconds; 1–20 ms jittered sleeps keep the wait near the hold time.
 */
import lockfile from "proper-lockfile";
import { LockTimeout } from "../errors.js";

export interface LockOptions {
  /** A lock older than this (not refreshed by a live holder) is taken over. proper-lockfile's floor is 2000. */
  staleMs: number;
  /** Give up with LockTimeout after waiting this long. */
  timeoutMs: number;
}

export const DEFAULT_LOCK_OPTIONS: LockOptions = { staleMs: 10_000, timeoutMs: 60_000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withLock<T>(file: string, options: LockOptions, fn: () => T): Promise<T> {
  const started = Date.now();
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(file, {
        stale: options.staleMs,
        retries: 0,
        realpath: false,
        // The default throws from a timer and kills the process; a compromised lock only means we
        // held it past the stale bound, and our write already finished under it.
        onCompromised: () => {},
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      const waited = Date.now() - started;
      if (waited >= options.timeoutMs) throw new LockTimeout(file, waited);
      await sleep(1 + Math.random() * Math.min(20, 2 + attempt));
    }
  }
  try {
    return fn();
  } finally {
    await release().catch(() => {});
  }
}
