/**
 * One process of the PostgreSQL benchmarks (forked by bench/postgres.ts). Setup first, "ready", wait
 * for "go", then only the timed work:
 *
 *   ours            `count` logMetric calls through a tracker on the URL, fired `batch` at a time
 *   journal-lock    `count` MetricsLogged events straight into the journal, seq by advisory lock
 *   journal-retry   the same, seq by unique-key retry
 *   raw             the same rows as multi-row INSERTs of `batch` rows with pg, no runelog (the limit)
 *   cold-ours       a fresh tracker's first getRun
 *   cold-raw        SELECT data FROM events WHERE stream = … through a cursor, JSON of every row parsed
 */
import pg from "pg";
import { draft } from "../src/events.js";
import { RuneLog } from "../src/index.js";
import { PgJournalBackend } from "../src/store/postgres/index.js";
import { parsePostgresUrl } from "../src/store/postgres/connection.js";
import { firstMessage, now, reply } from "./lib.js";

export interface PgTask {
  mode: "ours" | "journal-lock" | "journal-retry" | "raw" | "cold-ours" | "cold-raw";
  url: string;
  experimentId: string;
  count: number;
  batch: number;
  worker: number;
  runId?: string;
}

const go = () => new Promise<void>((resolve) => process.once("message", () => resolve()));

async function main(): Promise<void> {
  const task = await firstMessage<PgTask>();
  const runId = `bench-run-${task.worker}`;
  const metric = (i: number) => ({ runId, metrics: { loss: 1 / (i + 1) }, step: i, timestamp: Date.now() });

  if (task.mode === "raw") {
    const { connectionString, schema } = parsePostgresUrl(task.url);
    const pool = new pg.Pool({ connectionString, max: 1 });
    const table = `${pg.escapeIdentifier(schema)}.raw_events`;
    await pool.query("SELECT 1");
    const started = go();
    await reply({ ready: true });
    await started;
    const start = now();
    for (let done = 0; done < task.count; done += task.batch) {
      const n = Math.min(task.batch, task.count - done);
      const values: unknown[] = [];
      const rows: string[] = [];
      for (let i = 0; i < n; i++) {
        const d = draft("MetricsLogged", metric(done + i));
        const body = JSON.parse(`{${d.body}}`) as { id: string; ts: string; data: unknown };
        const p = values.length;
        rows.push(`($${p + 1},$${p + 2},1,$${p + 3},'MetricsLogged',$${p + 4})`);
        values.push(`experiments/${task.experimentId}`, body.id, body.ts, JSON.stringify(body.data));
      }
      await pool.query(`INSERT INTO ${table} (stream, id, v, ts, type, data) VALUES ${rows.join(",")}`, values);
    }
    const end = now();
    await pool.end();
    await reply({ start, end });
    return;
  }

  if (task.mode === "journal-lock" || task.mode === "journal-retry") {
    const backend = new PgJournalBackend(task.url, { sequence: task.mode === "journal-lock" ? "lock" : "retry" });
    const journal = backend.open(`experiments/${task.experimentId}`);
    await backend.conn.ensureSchema();
    const started = go();
    await reply({ ready: true });
    await started;
    const start = now();
    for (let done = 0; done < task.count; done += task.batch) {
      const n = Math.min(task.batch, task.count - done);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < n; i++) pending.push(journal.append([draft("MetricsLogged", metric(done + i))]));
      await Promise.all(pending);
    }
    const end = now();
    await backend.close();
    await reply({ start, end });
    return;
  }

  if (task.mode === "ours") {
    const tracker = new RuneLog(task.url);
    const run = await tracker.startRun({ experimentId: task.experimentId, logGitMeta: false, logCode: false });
    const started = go();
    await reply({ ready: true });
    await started;
    const start = now();
    for (let done = 0; done < task.count; done += task.batch) {
      const n = Math.min(task.batch, task.count - done);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < n; i++) pending.push(run.logMetric("loss", 1 / (done + i + 1), { step: done + i }));
      await Promise.all(pending);
    }
    const end = now();
    await run.end();
    await tracker.close();
    await reply({ start, end, runId: run.runId });
    return;
  }

  if (task.mode === "cold-ours") {
    const t0 = now();
    const tracker = new RuneLog(task.url);
    const run = await tracker.getRun(task.runId!);
    const ms = now() - t0;
    if (!run) throw new Error(`run ${task.runId} not found`);
    await tracker.close();
    await reply({ ms });
    return;
  }

  if (task.mode === "cold-raw") {
    const t0 = now();
    const { connectionString, schema } = parsePostgresUrl(task.url);
    const client = new pg.Client({ connectionString });
    await client.connect();
    await client.query("BEGIN");
    await client.query({ text: `DECLARE c NO SCROLL CURSOR FOR SELECT data FROM ${pg.escapeIdentifier(schema)}.events WHERE stream = $1 ORDER BY seq`, values: [`experiments/${task.experimentId}`] });
    let rows = 0;
    for (;;) {
      const r = await client.query("FETCH 20000 FROM c");
      rows += r.rows.length; // pg parses each json value with JSON.parse
      if (r.rows.length < 20000) break;
    }
    await client.query("COMMIT");
    const ms = now() - t0;
    await client.end();
    await reply({ ms, rows });
    return;
  }
}

main().catch((err) => {
  process.stderr.write(`postgres-worker failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
