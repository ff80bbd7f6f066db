/**
 * The seam's front door: openStore(path) picks a backend from the path and hands back its journals,
 * blobs and snapshots (interfaces in ./types.ts). Nothing outside src/store knows which one it got.
 */
import { InvalidInput, ReadOnlyView } from "../errors.js";
import { FileStore } from "./file/index.js";
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
  if (isDatabaseUrl(path)) throw new InvalidInput("path", "this build has no PostgreSQL backend yet");
  return new FileStore(path, o);
}

/**
 * The same store, refusing every write (ReadOnlyView): what a view of the past is handed, so that
 * no path through the api can write from one, whatever it calls.
 */
export function readOnly(store: Store): Store {
  const refuse = (call: string) => () => Promise.reject(new ReadOnlyView(call));
  const journals = store.journals;
  return {
    location: store.location,
    exists: () => store.exists(),
    close: () => store.close(),
    journals: {
      open: (stream) => {
        const journal = journals.open(stream);
        return { name: journal.name, read: (from, options) => journal.read(from, options), holds: (p) => journal.holds(p), append: refuse("append") };
      },
      list: () => journals.list(),
      watch: (listener) => journals.watch(listener),
    },
    blobs: {
      read: (sha256) => store.blobs.read(sha256),
      localPath: (sha256, holder, options) => store.blobs.localPath(sha256, holder, { ...options, repair: false }),
      put: refuse("put"),
      attach: refuse("attach"),
      detach: refuse("detach"),
    },
    snapshots: { load: (...args) => store.snapshots.load(...args), save: async () => {} },
  };
}
