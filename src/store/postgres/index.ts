/** The PostgreSQL store: journals (events table) and, through the same connection, blobs and snapshots. */
import type { JournalBackend, StreamName } from "../../journal/index.js";
import { isUndefinedTable, PgConnection, type PgConnectionOptions } from "./connection.js";
import { PgJournal, type SequenceStrategy } from "./journal.js";

export { isPostgresUrl, parsePostgresUrl, PgConnection, DEFAULT_CONNECT_TIMEOUT_MS } from "./connection.js";
export { PgJournal, type SequenceStrategy } from "./journal.js";

export interface PgBackendOptions extends PgConnectionOptions {
  sequence?: SequenceStrategy;
}

export class PgJournalBackend implements JournalBackend {
  readonly conn: PgConnection;
  private readonly open_ = new Map<string, PgJournal>();

  constructor(url: string | PgConnection, private readonly options: PgBackendOptions = {}) {
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

  close(): Promise<void> {
    return this.conn.close();
  }
}
