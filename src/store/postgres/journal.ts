/**
 * Journals in PostgreSQL: one row per event in `events`, keyed by (stream, seq), its event id unique.
 * The row holds the line's parts, and `crc`/`prev` are computed over the same canonical line a file
 * journal holds, so a store copied between the two verifies the same. `data` is `json` (not `jsonb`):
 * json keeps the text exactly as written, which the checksum covers; jsonb would reorder keys.
 *
 * Group commit as in the file writer: appends made together in a process go out as one multi-row
 * INSERT in one transaction. Sequence numbers come from the stream's head read under a per-stream
 * transaction-level advisory lock (see bench/postgres.ts for the measured alternative, a unique-key
 * retry). A batch retried after a lost commit reply first looks for its event ids: present means
 * committed, so a retry never duplicates.
 */
import { crc32 } from "node:zlib";
import pg from "pg";
import { JournalCorrupted } from "../../errors.js";
import type { EventDraft, StoredEvent } from "../../events.js";
import { GENESIS_HASH, hex8 } from "../line.js";
import { ConcurrencyConflict, type Journal, type Position, type Problem, type ProblemKind, type ReadChunk, type ReadOptions } from "../types.js";
import { isUndefinedTable, type PgConnection } from "./connection.js";
import { type BatchWriter, GroupCommit, type Group as CommitGroup } from "../group-commit.js";

export type SequenceStrategy = "lock" | "retry";

/** Where a reader stands: after event `seq`, whose crc is `hash` (what the next event's prev must be). */
interface PgPosition extends Position {
  readonly hash: string;
}

function hashOf(position: Position): string {
  return (position as PgPosition).hash ?? GENESIS_HASH;
}

/** An event's columns, parsed once from its draft outside any transaction. */
interface Row {
  v: number;
  id: string;
  ts: string;
  type: string;
  /** The data's JSON text, exactly as serialized. */
  data: string;
}

/** A row prepared before the lock: all that is left to do under it is the seq, prev and crc. */
interface Prepared {
  id: string;
  /** The canonical line between `{"seq":N` and the prev hash: `,"v":…,"data":…,"prev":"`. */
  middle: string;
  /** The row's SQL values from id to data: `,'id',1,'ts','type','{…}'`. */
  sql: string;
}

function prepare(r: Row): Prepared {
  return {
    id: r.id,
    middle: `,"v":${r.v},"id":${JSON.stringify(r.id)},"ts":${JSON.stringify(r.ts)},"type":${JSON.stringify(r.type)},"data":${r.data},"prev":"`,
    sql: `,${lit(r.id)},${r.v},${lit(r.ts)},${lit(r.type)},${lit(r.data)},'`,
  };
}

type Group = CommitGroup<Prepared>;

const BODY = /^"v":(\d+),"id":("(?:[^"\\]|\\.)*"),"ts":("(?:[^"\\]|\\.)*"),"type":("(?:[^"\\]|\\.)*"),"data":/;

export function rowOf(draft: EventDraft): Row {
  const m = BODY.exec(draft.body);
  if (!m) throw new Error(`not an event draft: ${draft.body.slice(0, 80)}`);
  return { v: Number(m[1]), id: JSON.parse(m[2]!), ts: JSON.parse(m[3]!), type: JSON.parse(m[4]!), data: draft.body.slice(m[0].length) };
}

/** The canonical line up to its crc: what the file journal writes and checksums. */
export function lineHead(seq: number | string, r: Row, prev: string): string {
  return `{"seq":${seq},"v":${r.v},"id":${JSON.stringify(r.id)},"ts":${JSON.stringify(r.ts)},"type":${JSON.stringify(r.type)},"data":${r.data},"prev":"${prev}"`;
}

export function crcOf(head: string): string {
  return hex8(crc32(head));
}

/**
 * A row as its line, `{"seq":…,"v":…,"id":"…","ts":"…","type":"…","data":…,"prev":"…","crc":"…"}`:
 * the text encodeLine writes to a file whenever id, ts and type need no JSON escaping (runelog's
 * ULIDs, ISO times and event names never do). Quoting them as they are costs the server half what
 * to_json would; a string that did need escaping makes a line that fails its crc, and read()
 * then checks that row from its columns (`recheck`), so it is never wrongly reported damaged.
 */
const LINE_SQL = `'{"seq":' || seq || ',"v":' || v || ',"id":"' || id || '","ts":"' || ts || '","type":"' || type || '","data":' || data::text || ',"prev":"' || prev || '","crc":"' || crc || '"}'`;

/** Every column handed over as the text the server sent (the lines are text already; nothing to convert). */
const TEXT_AS_IS = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** `,"crc":"` + 8 hex digits + `"}`: how every line ends. */
const CRC_SUFFIX = 18;
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX["0123456789abcdef".charCodeAt(i)] = i;

/**
 * The event a row's line holds, if its crc is the crc of the line up to it (as decodeLine checks a
 * file's line); null if not. A line that passes is the one the writer checksummed, so its id, ts
 * and type hold no quote or backslash (LINE_SQL quotes them as they are): the envelope is read at
 * its places and only `data` goes through JSON.parse, which is cheaper than parsing the whole line.
 * A line that does not have the expected shape there is parsed whole.
 */
function decodeRow(line: string): StoredEvent | null {
  const at = line.length - CRC_SUFFIX;
  if (at < 0 || !line.startsWith(',"crc":"', at) || line.charCodeAt(at + 16) !== 0x22 || crc32(line.slice(0, at)) !== statedCrc(line, at + 8)) return null;
  const vAt = line.indexOf(',"v":', 7);
  const idAt = vAt < 0 ? -1 : line.indexOf(',"id":"', vAt);
  const idEnd = idAt < 0 ? -1 : line.indexOf('"', idAt + 7);
  const tsEnd = line.startsWith('","ts":"', idEnd) ? line.indexOf('"', idEnd + 8) : -1;
  const typeEnd = line.startsWith('","type":"', tsEnd) ? line.indexOf('"', tsEnd + 10) : -1;
  const prevAt = at - 18; // `,"prev":"` + 8 hex digits + `"`
  try {
    if (typeEnd < 0 || !line.startsWith('","data":', typeEnd) || !line.startsWith(',"prev":"', prevAt) || line.charCodeAt(at - 1) !== 0x22) return JSON.parse(line) as StoredEvent;
    return {
      seq: Number(line.slice(7, vAt)),
      v: Number(line.slice(vAt + 5, idAt)),
      id: line.slice(idAt + 7, idEnd),
      ts: line.slice(idEnd + 8, tsEnd),
      type: line.slice(tsEnd + 10, typeEnd),
      data: JSON.parse(line.slice(typeEnd + 9, prevAt)),
      prev: line.slice(prevAt + 9, at - 1),
      crc: line.slice(at + 8, at + 16),
    } as StoredEvent;
  } catch {
    return null;
  }
}

/** The 8 lowercase hex digits at `from` as a number, or -1. */
function statedCrc(line: string, from: number): number {
  let value = 0;
  for (let i = from; i < from + 8; i++) {
    const digit = HEX[line.charCodeAt(i) & 127]!;
    if (digit < 0 || line.charCodeAt(i) > 127) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** The seq a row's line starts with (built by LINE_SQL, so always there). */
function seqOfLine(line: string): number {
  return Number(/^\{"seq":(\d+)/.exec(line)![1]);
}

/** A SQL string literal (pg's own escapeLiteral walks the string a character at a time: too slow for a batch). */
function lit(s: string): string {
  if (s.includes("\\")) return ` E'${s.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Rows per read, however large maxBytes: a chunk's events stay alive until the caller has folded
 * them, and small chunks let them die young (V8's young generation is a few MB), where 50,000 rows
 * got them copied and promoted, GC then costing as much as decoding. A round trip per 2,000 rows is
 * cheap next to decoding them, and the projector asks for the next chunk before folding this one.
 */
const ROWS_PER_READ = 2000;

/** Rows per INSERT statement: a batch larger than this is several statements in the one transaction. */
const ROWS_PER_STATEMENT = 5000;

export class PgJournal implements Journal, BatchWriter<Prepared> {
  private readonly commits = new GroupCommit<Prepared>(this);
  /** The head after our own last write (the retry strategy tries it first). */
  private head: { seq: number; crc: string } | null = null;

  constructor(
    private readonly conn: PgConnection,
    readonly stream: string,
    readonly name: string,
    private readonly strategy: SequenceStrategy = "lock",
  ) {}

  append(drafts: readonly EventDraft[], expectedSeq?: number): Promise<void> {
    let rows: Prepared[];
    try {
      rows = drafts.map((d) => prepare(rowOf(d)));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.commits.add(rows, expectedSeq);
  }

  pauseMs(): number {
    return 0;
  }

  /** Called by the group commit only. */
  async flush(batch: Group[]): Promise<void> {
    await this.conn.ensureSchema();
    const outcome = this.strategy === "lock" ? await this.writeLocked(batch) : await this.writeOptimistic(batch);
    for (const [group, result] of outcome) result === true ? group.resolve() : group.reject(result);
  }

  /** BEGIN, lock the stream, read its head; then one INSERT (per 5000 rows), NOTIFY, COMMIT: two round trips. */
  private writeLocked(batch: Group[]): Promise<Map<Group, true | ConcurrencyConflict>> {
    const streamLit = lit(this.stream);
    return this.conn.withClient(async (client, attempt) => {
      try {
        const results = (await client.query(
          `BEGIN; SELECT pg_advisory_xact_lock(hashtext(${lit(this.conn.location.schema)}), hashtext(${streamLit}));
           SELECT seq, crc FROM ${this.conn.table("events")} WHERE stream = ${streamLit} ORDER BY seq DESC LIMIT 1` +
            (attempt > 0 ? `; ${this.idsPresentSql(batch)}` : ""),
        )) as unknown as pg.QueryResult[];
        const headRow = results[2]!.rows[0] as { seq: string; crc: string } | undefined;
        const head = headRow ? { seq: Number(headRow.seq), crc: headRow.crc } : { seq: 0, crc: GENESIS_HASH };
        const present = attempt > 0 ? new Set((results[3]!.rows as Array<{ id: string }>).map((r) => r.id)) : undefined;
        const plan = this.plan(batch, head, present);
        await client.query(`${plan.sql}COMMIT`);
        this.head = plan.head;
        return plan.outcome;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      }
    });
  }

  /** No lock: INSERT at the head we believe in; a unique-key violation on (stream, seq) means someone else got there: read the head and try again. */
  private writeOptimistic(batch: Group[]): Promise<Map<Group, true | ConcurrencyConflict>> {
    return this.conn.withClient(async (client, attempt) => {
      let present: Set<string> | undefined;
      if (attempt > 0) present = new Set((await client.query<{ id: string }>(this.idsPresentSql(batch))).rows.map((r) => r.id));
      for (;;) {
        const head = this.head ?? (await this.readHead(client));
        const plan = this.plan(batch, head, present);
        try {
          await client.query(plan.sql);
          this.head = plan.head;
          return plan.outcome;
        } catch (err) {
          this.head = null;
          if ((err as { code?: string }).code !== "23505" || !/pkey/.test((err as { constraint?: string }).constraint ?? "")) throw err;
        }
      }
    });
  }

  private async readHead(client: pg.PoolClient): Promise<{ seq: number; crc: string }> {
    const r = await client.query<{ seq: string; crc: string }>(`SELECT seq, crc FROM ${this.conn.table("events")} WHERE stream = $1 ORDER BY seq DESC LIMIT 1`, [this.stream]);
    const row = r.rows[0];
    return row ? { seq: Number(row.seq), crc: row.crc } : { seq: 0, crc: GENESIS_HASH };
  }

  private idsPresentSql(batch: Group[]): string {
    const ids = batch.flatMap((g) => g.items.map((r) => lit(r.id)));
    return `SELECT id FROM ${this.conn.table("events")} WHERE id IN (${ids.join(",")})`;
  }

  /**
   * Stamps every group that may go (its expectedSeq matches, and it is not already stored) with
   * sequence numbers and the chain, and builds the statements. Groups already stored (a retry after a
   * lost reply) count as done; a group's events are all stored or none, being in one transaction.
   */
  private plan(batch: Group[], head: { seq: number; crc: string }, present?: Set<string>) {
    let { seq, crc } = head;
    const startSeq = seq;
    const outcome = new Map<Group, true | ConcurrencyConflict>();
    const values: string[] = [];
    for (const group of batch) {
      if (group.items.length > 0 && present?.has(group.items[0]!.id)) {
        outcome.set(group, true);
        continue;
      }
      if (group.expectedSeq !== undefined && group.expectedSeq !== seq) {
        outcome.set(group, new ConcurrencyConflict(group.expectedSeq, seq));
        continue;
      }
      const stream = lit(this.stream);
      for (const r of group.items) {
        const prev = crc;
        crc = hex8(crc32(`{"seq":${++seq}${r.middle}${prev}"`));
        values.push(`(${stream},${seq}${r.sql}${prev}','${crc}')`);
      }
      outcome.set(group, true);
    }
    let sql = "";
    if (values.length > 0) {
      if (startSeq === 0) sql += `INSERT INTO ${this.conn.table("streams")} VALUES (${lit(this.stream)}) ON CONFLICT DO NOTHING; `;
      for (let i = 0; i < values.length; i += ROWS_PER_STATEMENT) {
        sql += `INSERT INTO ${this.conn.table("events")} (stream, seq, id, v, ts, type, data, prev, crc) VALUES ${values.slice(i, i + ROWS_PER_STATEMENT).join(",")}; `;
      }
      sql += `SELECT pg_notify(${lit(this.conn.channel)}, ${lit(this.stream)}); `;
    }
    return { sql, outcome, head: { seq, crc } };
  }

  /**
   * Reads up to one chunk after `from`, each row checked as a file journal checks its lines: the
   * crc over the canonical line, then sequence and chain against the row before.
   *
   * The server sends each row as its line (LINE_SQL): one string per row instead of eight, and a
   * crc over a string that needs no assembling (decodeRow). A row whose line does not match its crc
   * is checked again from its columns, with the line built here (`lineHead`) as the writer built it,
   * before it counts as damaged.
   */
  async read(from: Position, options: ReadOptions = {}): Promise<ReadChunk> {
    const { maxBytes = 8 * 1024 * 1024, onCorrupt = "throw", accepts } = options;
    const limit = Math.max(1, Math.min(ROWS_PER_READ, Math.floor(maxBytes / 128)));
    // Rows are checked as they arrive, each line dropped once decoded: only the events stay alive, and the server sends on meanwhile.
    const checked: Array<StoredEvent | null> = [];
    const failed = new Map<number, string>();
    try {
      await this.conn.withClient((c) => {
        // In index order, always: on a table not yet analyzed (a big experiment just written) the
        // planner takes the stream's rows for few, and planned `ORDER BY seq LIMIT` as a bitmap scan
        // of every row after `from` plus a sort, on each read (57 ms a read instead of 1 at 200,000
        // rows). enable_sort off for this statement only (SET LOCAL, in the implicit transaction of
        // a two-statement query: one round trip, the simple protocol, hence the literals) leaves the
        // primary key's order as the only plan. A cursor did the same but cost ~4–7 ms a read.
        const text =
          `SET LOCAL enable_sort = off; ` +
          `SELECT ${LINE_SQL} FROM ${this.conn.table("events")} WHERE stream = ${lit(this.stream)} AND seq > ${Math.trunc(from.seq)} ORDER BY seq LIMIT ${limit}`;
        const query = new pg.Query({ text, rowMode: "array", types: TEXT_AS_IS } as pg.QueryConfig);
        checked.length = 0;
        failed.clear();
        return new Promise<void>((resolve, reject) => {
          query.on("row", (row: string[]) => {
            const event = decodeRow(row[0]!);
            if (!event) failed.set(checked.length, row[0]!);
            checked.push(event);
          });
          query.on("error", reject);
          query.on("end", () => resolve());
          void c.query(query);
        });
      });
    } catch (err) {
      if (isUndefinedTable(err)) return { events: [], end: from, problems: [], tornTail: null, atEnd: true };
      throw err;
    }
    if (failed.size > 0) await this.recheck(failed, checked);

    const events: StoredEvent[] = [];
    const problems: Problem[] = [];
    let seq = from.seq;
    let hash = hashOf(from);
    // After a damaged row the next good one is not held to the chain (it names the damaged row's crc), as in a file.
    let resync = false;
    const report = (kind: ProblemKind, rowSeq: number) => {
      if (onCorrupt === "throw") throw new JournalCorrupted(this.name, rowSeq, rowSeq - 1, kind);
      problems.push({ line: rowSeq, offset: rowSeq - 1, kind });
    };
    for (let i = 0; i < checked.length; i++) {
      const event = checked[i];
      if (!event) {
        report("bad-checksum", seqOfLine(failed.get(i)!));
        resync = true;
        continue;
      }
      const rowSeq = event.seq;
      if (!resync && (rowSeq !== seq + 1 || event.prev !== hash)) {
        report("broken-chain", rowSeq);
        if (rowSeq <= seq) continue; // a repeat of an event already read holds nothing new
      } else if (accepts && !accepts(event)) {
        report("unknown-event", rowSeq);
        seq = rowSeq;
        hash = event.crc;
        continue;
      }
      resync = false;
      events.push(event);
      seq = rowSeq;
      hash = event.crc;
    }
    const end: PgPosition = { seq, hash };
    return { events, end, problems, tornTail: null, atEnd: checked.length < limit };
  }

  /** Rows whose SQL-built line did not match its crc, checked again from their columns with the line built here. */
  private async recheck(failed: Map<number, string>, checked: Array<StoredEvent | null>): Promise<void> {
    const suspects = new Map<number, number>();
    for (const [i, line] of failed) suspects.set(seqOfLine(line), i);
    const text = `SELECT seq, v, id, ts, type, data::text, prev, crc FROM ${this.conn.table("events")} WHERE stream = $1 AND seq = ANY($2::bigint[])`;
    const rows = await this.conn.withClient(async (c) => (await c.query({ text, values: [this.stream, [...suspects.keys()]], rowMode: "array" })).rows as unknown[][]);
    for (const row of rows) {
      const [seqText, v, id, ts, type, data, prev, crc] = row as [string, number, string, string, string, string, string, string];
      const i = suspects.get(Number(seqText));
      if (i === undefined || crcOf(lineHead(seqText, { v, id, ts, type, data }, prev)) !== crc) continue;
      checked[i] = { seq: Number(seqText), v, id, ts, type, data: JSON.parse(data), prev, crc };
    }
  }

  async holds(position: Position): Promise<boolean> {
    if (position.seq === 0) return true;
    try {
      const r = await this.conn.query<{ crc: string }>(`SELECT crc FROM ${this.conn.table("events")} WHERE stream = $1 AND seq = $2`, [this.stream, position.seq]);
      return r.rows[0]?.crc === hashOf(position);
    } catch (err) {
      if (isUndefinedTable(err)) return false;
      throw err;
    }
  }
}
