/** Helpers for the public-API tests: quiet run options, a fresh store per test, and error assertions. */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { InvalidInput, RuneLog } from "../../src/index.js";
import { removeDir, snapshotFiles, tempDir } from "./store.js";

/** startRun options that skip the entry-script artifact and the git child processes. */
export const QUIET = { logCode: false, logGitMeta: false } as const;

/** A temp folder and a tracker on it. Call `done()` in afterEach (or a finally). */
export interface TestStore {
  dir: string;
  tracker: RuneLog;
  /** A second, independent tracker on the same folder (as another process would open it). */
  reopen(): RuneLog;
  /** Absolute path of `.runelog/`. */
  storeDir: string;
  done(): void;
}

export function openStore(prefix = "runelog-api-"): TestStore {
  const dir = tempDir(prefix);
  return {
    dir,
    tracker: new RuneLog(dir),
    reopen: () => new RuneLog(dir),
    storeDir: join(dir, ".runelog"),
    done: () => removeDir(dir),
  };
}

/**
 * Resolves once Date.now() has moved on, so the next event gets a later millisecond timestamp than the
 * previous one. Not a timing threshold: only a guarantee that two timestamps differ.
 */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((r) => setImmediate(r));
}

/** Calls `fn` and returns whatever it threw or rejected with (sync throw and rejection both count); fails if it succeeded. */
export async function caught(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Asserts the call fails with InvalidInput whose message names `argument`. */
export async function expectInvalidInput(fn: () => unknown, argument: string): Promise<InvalidInput> {
  const err = await caught(fn);
  expect(err).toBeInstanceOf(InvalidInput);
  expect((err as InvalidInput).code).toBe("INVALID_INPUT");
  expect((err as InvalidInput).message).toContain(argument);
  return err as InvalidInput;
}

/** The base64 of some bytes, the way snapshotFiles encodes file contents. */
export function base64(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString("base64");
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Paths (relative to `.runelog/`) of every stored file whose bytes are exactly `bytes`. */
export function filesHolding(storeDir: string, bytes: Uint8Array | string): string[] {
  const wanted = base64(bytes);
  return Object.entries(snapshotFiles(storeDir))
    .filter(([, content]) => content === wanted)
    .map(([path]) => path)
    .sort();
}

/** Temporarily sets (or deletes, with undefined) an environment variable around `fn`. */
export async function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const had = Object.prototype.hasOwnProperty.call(process.env, name);
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (had) process.env[name] = before;
    else delete process.env[name];
  }
}

/** Runs `fn` with the process's working directory set to `dir`, restoring it after. */
export async function inDirectory<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

/** Every event line of every journal under `.runelog/` (parsed), journal by journal, in file order. */
export function journalEvents(storeDir: string): Array<{ file: string; type: string; data: Record<string, unknown> }> {
  const out: Array<{ file: string; type: string; data: Record<string, unknown> }> = [];
  for (const [file, content] of Object.entries(snapshotFiles(storeDir))) {
    if (!file.endsWith(".ndjson")) continue;
    for (const line of Buffer.from(content, "base64").toString("utf8").split("\n")) {
      if (line === "") continue;
      const event = JSON.parse(line) as { type: string; data: Record<string, unknown> };
      out.push({ file, type: event.type, data: event.data });
    }
  }
  return out;
}
