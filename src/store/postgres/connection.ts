/**
 * One PostgreSQL store: a pool on the URL's database, the URL's schema, the schema's tables (made by
 * the first write), a bounded connect, and the LISTEN connection that says when a stream grew.
 * Every failure to reach the server becomes StoreUnavailable naming host and port, never the password.
 */
import pg from "pg";
import { InvalidInput, StoreUnavailable } from "../../errors.js";

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,49}$/;

export interface PgLocation {
  /** The URL as given, minus runelog's own parameters: what pg connects with. */
  connectionString: string;
  host: string;
  port: number;
  database: string;
  schema: string;
}

export function isPostgresUrl(path: string): boolean {
  return /^postgres(ql)?:\/\//i.test(path);
}

export function parsePostgresUrl(url: string): PgLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInput("path", "is not a valid postgres:// URL");
  }
  const schema = parsed.searchParams.get("schema") ?? "runelog";
  if (!SCHEMA_NAME.test(schema)) throw new InvalidInput("path", `schema ${JSON.stringify(schema)} must be lowercase letters, digits and _ (at most 50), not starting with a digit`);
  parsed.searchParams.delete("schema");
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || decodeURIComponent(parsed.username) || "postgres";
  return {
    connectionString: parsed.toString(),
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "localhost",
    port: parsed.port ? Number(parsed.port) : 5432,
    database,
    schema,
  };
}

/** SQLSTATEs and socket errors that mean "the server is not there (now)", as opposed to a bad statement. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "EADDRNOTAVAIL",
  "57P01", "57P02", "57P03", "53300",
]);
/** These will not get better by waiting: say so at once. */
const REFUSED_CODES: Record<string, string> = {
  "28P01": "password authentication failed",
  "28000": "authentication refused",
  "3D000": "database does not exist",
};

/** Whether an error means the connection failed (retrying later may succeed). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && (UNREACHABLE_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable|Client was closed/i.test(e.message ?? "");
}

export function isUndefinedTable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "42P01" || code === "3F000";
}

export interface PgConnectionOptions {
  connectTimeoutMs?: number;
}

type Listener = (stream: string | null) => void;

export class PgConnection {
  readonly location: PgLocation;
  readonly connectTimeoutMs: number;
  /** `"schema"` quoted, for statements. */
  readonly schema: string;
  readonly channel: string;
  private readonly pool: pg.Pool;
  private schemaReady: Promise<void> | undefined;
  private closed = false;
  private readonly listeners = new Set<Listener>();
  private listenClient: pg.Client | null = null;
  private listening: Promise<void> | null = null;

  constructor(url: string, options: PgConnectionOptions = {}) {
    this.location = parsePostgresUrl(url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.schema = pg.escapeIdentifier(this.location.schema);
    this.channel = `runelog_${this.location.schema}`;
    this.pool = new pg.Pool({
      connectionString: this.location.connectionString,
      connectionTimeoutMillis: this.connectTimeoutMs,
      max: 4,
      idleTimeoutMillis: 2000,
      // A pool never keeps a script alive: once every client is idle, Node may exit.
      allowExitOnIdle: true,
      keepAlive: true,
    });
    // An idle client whose server went away: the next checkout makes a new one.
    this.pool.on("error", () => {});
  }

  table(name: "events" | "streams" | "blobs" | "blob_holds" | "snapshots"): string {
    return `${this.schema}.${name}`;
  }

  unavailable(err: unknown): StoreUnavailable {
    const { host, port } = this.location;
    if (err instanceof StoreUnavailable) return err;
    const e = err as { code?: string; message?: string };
    const reason = (e.code && REFUSED_CODES[e.code]) ?? e.message ?? String(err);
    return new StoreUnavailable(host, port, reason.replace(this.location.connectionString, "<url>"));
  }

  /** Whether the error can only be a connection problem that will not pass (wrong password, no such database). */
  private fatal(err: unknown): boolean {
    const code = (err as { code?: string } | null)?.code;
    return code !== undefined && code in REFUSED_CODES;
  }

  /**
   * Runs `fn` on a pooled client. Connection failures are retried with backoff until `connectTimeoutMs`
   * has passed since the first one, then reject with StoreUnavailable; `fn` must be safe to run again
   * (reads are; writes check their event ids first, see PgJournal).
   */
  async withClient<T>(fn: (client: pg.PoolClient, attempt: number) => Promise<T>): Promise<T> {
    if (this.closed) throw this.unavailable(new Error("the store was closed (tracker.close())"));
    let firstFailure = 0;
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | undefined;
      // A connection lost between two statements is emitted as an event: the next statement fails and says so.
      const ignore = () => {};
      try {
        client = await this.pool.connect();
        client.on("error", ignore);
        const result = await fn(client, attempt);
        client.off("error", ignore);
        client.release();
        return result;
      } catch (err) {
        const broken = isConnectionError(err) || this.fatal(err);
        client?.off("error", ignore);
        client?.release(broken ? (err as Error) : undefined);
        if (!broken) throw err;
        if (this.fatal(err) || this.closed) throw this.unavailable(err);
        const now = Date.now();
        firstFailure ||= now;
        if (now - firstFailure >= this.connectTimeoutMs) throw this.unavailable(err);
        await sleep(Math.min(50 * 2 ** attempt, 1000, this.connectTimeoutMs - (now - firstFailure)));
      }
    }
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.withClient((c) => c.query<R>(text, values));
  }

  /** Creates the schema and its tables once (the first write does this; reads never do). */
  ensureSchema(): Promise<void> {
    this.schemaReady ??= this.withClient(async (c) => {
      // Concurrent CREATE … IF NOT EXISTS can still collide in the catalog: one process at a time.
      await c.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('runelog schema'), hashtext(${pg.escapeLiteral(this.location.schema)}));
        CREATE SCHEMA IF NOT EXISTS ${this.schema};
        CREATE TABLE IF NOT EXISTS ${this.table("events")} (
          stream text NOT NULL, seq bigint NOT NULL, id text NOT NULL, v integer NOT NULL, ts text NOT NULL, type text NOT NULL,
          data json NOT NULL, prev text NOT NULL, crc text NOT NULL,
          PRIMARY KEY (stream, seq), UNIQUE (id));
        CREATE TABLE IF NOT EXISTS ${this.table("streams")} (name text PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS ${this.table("blobs")} (sha256 text PRIMARY KEY, size bigint NOT NULL, bytes bytea NOT NULL);
        CREATE TABLE IF NOT EXISTS ${this.table("blob_holds")} (
          holder text NOT NULL, sha256 text NOT NULL REFERENCES ${this.table("blobs")} (sha256), PRIMARY KEY (holder, sha256));
        CREATE INDEX IF NOT EXISTS blob_holds_sha256 ON ${this.table("blob_holds")} (sha256);
        CREATE TABLE IF NOT EXISTS ${this.table("snapshots")} (
          stream text NOT NULL, projection text NOT NULL, body bytea NOT NULL, PRIMARY KEY (stream, projection));
        -- v8-serialized states are tens of MB for a big experiment: compressing them costs more than it saves.
        ALTER TABLE ${this.table("snapshots")} ALTER COLUMN body SET STORAGE EXTERNAL;
        COMMIT`).catch(async (err) => {
        await c.query("ROLLBACK").catch(() => {});
        throw err;
      });
    }).catch((err) => {
      this.schemaReady = undefined;
      throw err;
    });
    return this.schemaReady;
  }

  /**
   * Calls `listener` with a stream's name whenever a commit in any process grew it, and with null
   * when notifications may have been missed (the LISTEN connection was lost and is back): then every
   * stream may have grown. Returns the unsubscribe function. While anyone listens, the connection
   * keeps the process alive; the last unsubscribe closes it.
   */
  subscribe(listener: Listener): { ready: Promise<void>; unsubscribe: () => void } {
    this.listeners.add(listener);
    const ready = this.listen();
    return {
      ready,
      unsubscribe: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stopListening();
      },
    };
  }

  private listen(): Promise<void> {
    this.listening ??= (async () => {
      let firstFailure = 0;
      for (let attempt = 0; this.listeners.size > 0 && !this.closed; attempt++) {
        const client = new pg.Client({ connectionString: this.location.connectionString, connectionTimeoutMillis: this.connectTimeoutMs, keepAlive: true });
        try {
          await client.connect();
          client.on("notification", (n) => this.notify(n.payload ?? null));
          client.on("error", () => this.lost(client));
          client.on("end", () => this.lost(client));
          await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
          if (this.listeners.size === 0 || this.closed) {
            await client.end().catch(() => {});
            return;
          }
          this.listenClient = client;
          // Whatever was committed before LISTEN took effect (or while the connection was lost) got no notice: say "everything".
          this.notify(null);
          return;
        } catch (err) {
          await client.end().catch(() => {});
          if (!isConnectionError(err) || this.fatal(err)) throw this.unavailable(err);
          const now = Date.now();
          firstFailure ||= now;
          if (now - firstFailure >= this.connectTimeoutMs) throw this.unavailable(err);
          await sleep(Math.min(50 * 2 ** attempt, 1000));
        }
      }
    })().catch((err) => {
      this.listening = null;
      for (const l of this.listeners) l(null);
      throw err;
    });
    return this.listening;
  }

  private lost(client: pg.Client): void {
    if (this.listenClient !== client) return;
    this.listenClient = null;
    this.listening = null;
    client.end().catch(() => {});
    if (this.listeners.size > 0 && !this.closed) this.listen().catch(() => {});
  }

  private notify(stream: string | null): void {
    for (const l of [...this.listeners]) l(stream);
  }

  private stopListening(): void {
    const client = this.listenClient;
    this.listenClient = null;
    this.listening = null;
    client?.end().catch(() => {});
  }

  /** Ends the pool and the LISTEN connection at once; later calls reject with StoreUnavailable. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    this.notify(null);
    this.listeners.clear();
    await this.pool.end().catch(() => {});
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
