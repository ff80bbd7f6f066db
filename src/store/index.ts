/**
 * The seam's front door: openStore(path) picks a backend from the path and hands back its journals,
 * blobs and snapshots (interfaces in ./types.ts). Nothing outside src/store knows which one it got.
 */
import { FileStore } from "./file/index.js";
import { PgStore } from "./postgres/index.js";
import type { Store, StoreOptions } from "./types.js";

export * from "./types.js";

export const DEFAULT_STORE_OPTIONS: StoreOptions = { fsync: false, lock: { staleMs: 10_000, timeoutMs: 60_000 } };

/** Whether a path names a PostgreSQL store rather than a folder. */
export function isDatabaseUrl(path: string): boolean {
  return /^postgres(ql)?:\/\//i.test(path);
}

/** The store a path names: a `postgres://` URL, or else a folder whose `.runelog/` holds it. Opening writes nothing. */
export function openStore(path: string, options: Partial<StoreOptions> = {}): Store {
  const o: StoreOptions = { ...DEFAULT_STORE_OPTIONS, ...options };
  if (isDatabaseUrl(path)) return new PgStore(path, { connectTimeoutMs: o.connectTimeoutMs, cacheDir: o.cacheDir });
  return new FileStore(path, o);
}
