/** The PostgreSQL store: journals (events), blobs and snapshots in one schema of one database. */
import type { Capabilities, GrowthListener, JournalStore, Store, StreamName } from "../types.js";
import { PgBlobStore, defaultCacheDir } from "./blobs.js";
import { isUndefinedTable, PgConnection, type PgConnectionOptions } from "./connection.js";
import { PgJournal, type SequenceStrategy } from "./journal.js";
import { PgSnapshotStore } from "./snapshots.js";

export { isPostgresUrl, parsePostgresUrl, PgConnection, DEFAULT_CONNECT_TIMEOUT_MS } from "./connection.js";
export { PgJournal, type SequenceStrategy } from "./journal.js";
export { defaultCacheDir } from "./blobs.js";

export const PG_CAPABILITIES: Capabilities = { tornTail: false };

export interface PgStoreOptions extends PgConnectionOptions {
  /** How sequence numbers are taken; "lock" (the default) measured faster under 8 writers (bench/postgres.ts). */
  sequence?: SequenceStrategy;
  cacheDir?: string;
}

export class PgJournalBackend implements JournalStore {
  readonly conn: PgConnection;
  private readonly open_ = new Map<string, PgJournal>();

  constructor(url: string | PgConnection, private readonly options: PgStoreOptions = {}) {
    this.conn = typeof url === "string" ? new PgConnection(url, options) : url;
  }

  open(stream: StreamName): PgJournal {
    let journal = this.open_.get(stream);
    if (!journal) this.open_.set(stream, (journal = new PgJournal(this.conn, stream, `${this.conn.location.schema}/${stream}`, this.options.sequence)));
    return journal;
  }

  /** Every stream that holds events, catalogue first, then experiments by id, then the registry. */
  async list(): Promise<StreamName[]> {
    let names: string[];
    try {
      names = (await this.conn.query<{ name: string }>(`SELECT name FROM ${this.conn.table("streams")}`)).rows.map((r) => r.name);
    } catch (err) {
      if (isUndefinedTable(err)) return [];
      throw err;
    }
    const ids = names.map((n) => /^experiments\/(\d+)$/.exec(n)?.[1]).filter((id): id is string => id !== undefined).sort((a, b) => Number(a) - Number(b));
    return [
      ...(names.includes("catalog") ? ["catalog" as const] : []),
      ...ids.map((id) => `experiments/${id}` as const),
      ...(names.includes("registry") ? ["registry" as const] : []),
    ];
  }

  /** LISTEN/NOTIFY: every commit that grows a stream notifies its name; after a lost connection, every stream is named once. */
  watch(listener: GrowthListener): () => void {
    let stopped = false;
    const { unsubscribe, ready } = this.conn.subscribe((stream) => {
      if (stream !== null) listener(stream as StreamName);
      else void this.list().then((all) => all.forEach((s) => !stopped && listener(s)), () => {});
    });
    ready.catch(() => {}); // a follower finds out by reading
    return () => {
      stopped = true;
      unsubscribe();
    };
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

export class PgStore implements Store {
  readonly location: string;
  readonly journals: PgJournalBackend;
  readonly blobs: PgBlobStore;
  readonly snapshots: PgSnapshotStore;

  constructor(url: string, options: PgStoreOptions = {}) {
    this.journals = new PgJournalBackend(url, options);
    const conn = this.journals.conn;
    const { host, port, database, schema } = conn.location;
    this.location = `postgres://${host}:${port}/${database}?schema=${schema}`;
    this.blobs = new PgBlobStore(conn, options.cacheDir ?? defaultCacheDir());
    this.snapshots = new PgSnapshotStore(conn);
  }

  async exists(): Promise<boolean> {
    try {
      await this.journals.conn.query(`SELECT 1 FROM ${this.journals.conn.table("streams")} LIMIT 1`);
      return true;
    } catch (err) {
      if (isUndefinedTable(err)) return false;
      throw err;
    }
  }

  /** Waits for snapshot uploads under way, then ends the connections. */
  async close(): Promise<void> {
    await this.snapshots.settled();
    await this.journals.close();
  }
}
