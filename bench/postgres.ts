/**
 * The PostgreSQL store, side by side with raw pg on the same server in the same run
 * (`node dist/bench/postgres.js [--quick] [ingest|sequence|cold|follow …]`, or through bench/run.ts
 * when RUNELOG_BENCH_PG_URL or RUNELOG_TEST_PG_URL is set). Every measurement gets a fresh schema,
 * dropped afterwards.
 *
 *   ingest    8 processes × 20,000 logMetric into one experiment vs the same processes doing raw
 *             multi-row INSERTs of the same rows (target ≥ 0.5 × raw)
 *   sequence  the two ways to number events under 8 writers: advisory lock vs unique-key retry
 *   cold      a fresh process's first getRun on a big experiment vs a raw cursor-streamed SELECT (≥ 0.5 ×)
 *   follow    logMetric in one process to events({ follow }) in another (p99 ≤ 50 ms)
 */
import pg from "pg";
import { draft } from "../src/events.js";
import { RuneLog } from "../src/index.js";
import { parsePostgresUrl, PgConnection } from "../src/store/postgres/connection.js";
import { crcOf, lineHead, rowOf } from "../src/store/postgres/journal.js";
import { GENESIS_HASH } from "../src/store/line.js";
import { type BenchResult, type Check, Child, log, machine, median, now, percentile, QUICK, round, runChild } from "./lib.js";
import type { PgTask } from "./postgres-worker.js";

export const PG_BENCH_URL = process.env.RUNELOG_BENCH_PG_URL ?? process.env.RUNELOG_TEST_PG_URL;

const size = QUICK
  ? { workers: 8, calls: 2_000, batch: 1_000, coldEvents: 100_000, coldRepeats: 2, followRounds: 50 }
  : { workers: 8, calls: 20_000, batch: 1_000, coldEvents: Number(process.env.BENCH_PG_COLD_EVENTS ?? 1_000_000), coldRepeats: 3, followRounds: 200 };

let schemas = 0;
function freshUrl(base: string, label: string): string {
  const url = new URL(base);
  url.searchParams.set("schema", `bench_${label}_${process.pid}_${schemas++}`);
  return url.toString();
}

async function admin<T>(url: string, fn: (c: pg.Client, schema: string) => Promise<T>): Promise<T> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    return await fn(c, pg.escapeIdentifier(schema));
  } finally {
    await c.end();
  }
}

const dropSchema = (url: string) => admin(url, (c, s) => c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`));

/** A store with one experiment ("1"), made through the library so its schema and catalogue are real. */
async function freshStore(base: string, label: string): Promise<string> {
  const url = freshUrl(base, label);
  const tracker = new RuneLog(url);
  await tracker.getOrCreateExperiment("bench");
  await tracker.close();
  return url;
}

/** Forks `workers` processes on one task each, waits until all are ready, starts them together; returns wall ms. */
async function parallel(task: Omit<PgTask, "worker">, workers: number): Promise<{ ms: number; reports: Array<Record<string, unknown>> }> {
  const children = Array.from({ length: workers }, () => new Child("postgres-worker.js"));
  children.forEach((c, worker) => c.send({ ...task, worker }));
  await Promise.all(children.map((c) => c.next()));
  for (const c of children) c.send("go");
  const reports = await Promise.all(children.map((c) => c.next<{ start: number; end: number }>()));
  await Promise.all(children.map((c) => c.close()));
  const ms = Math.max(...reports.map((r) => r.end)) - Math.min(...reports.map((r) => r.start));
  return { ms, reports };
}

async function countEvents(url: string): Promise<number> {
  return admin(url, async (c, s) => Number((await c.query(`SELECT count(*) AS n FROM ${s}.events WHERE stream = 'experiments/1'`)).rows[0].n));
}

export async function pgIngestBench(base: string): Promise<BenchResult> {
  const t0 = now();
  const total = size.workers * size.calls;
  const data: Record<string, unknown> = { workers: size.workers, callsPerWorker: size.calls, batch: size.batch };
  const checks: Check[] = [];

  // Raw: a table of the same shape and indexes (seq from a sequence instead of a chain), plain multi-row INSERTs.
  const rawUrl = await freshStore(base, "raw");
  await admin(rawUrl, (c, s) =>
    c.query(`CREATE TABLE ${s}.raw_events (stream text NOT NULL, seq bigserial, id text NOT NULL UNIQUE, v integer NOT NULL, ts text NOT NULL, type text NOT NULL, data json NOT NULL, PRIMARY KEY (stream, seq))`),
  );
  log(`pg ingest: raw multi-row INSERTs, ${size.workers} × ${size.calls}`);
  const raw = await parallel({ mode: "raw", url: rawUrl, experimentId: "1", count: size.calls, batch: size.batch }, size.workers);
  await dropSchema(rawUrl);

  const oursUrl = await freshStore(base, "ours");
  log(`pg ingest: logMetric, ${size.workers} × ${size.calls}`);
  const ours = await parallel({ mode: "ours", url: oursUrl, experimentId: "1", count: size.calls, batch: size.batch }, size.workers);
  const stored = await countEvents(oursUrl);
  await dropSchema(oursUrl);

  const rawRate = total / (raw.ms / 1000);
  const oursRate = total / (ours.ms / 1000);
  Object.assign(data, { rawMs: round(raw.ms), rawEventsPerSec: Math.round(rawRate), oursMs: round(ours.ms), oursEventsPerSec: Math.round(oursRate), storedEvents: stored });
  checks.push({ bench: "pg-ingest", what: `${size.workers} proc × ${size.calls} logMetric vs raw INSERT`, measured: `${round(oursRate / rawRate)} × raw (${Math.round(oursRate)}/s vs ${Math.round(rawRate)}/s)`, target: "≥ 0.5 × raw", pass: oursRate / rawRate >= 0.5 });
  return result("pg-ingest", t0, data, checks);
}

export async function pgSequenceBench(base: string): Promise<BenchResult> {
  const t0 = now();
  const total = size.workers * size.calls;
  const data: Record<string, unknown> = { workers: size.workers, eventsPerWorker: size.calls, batch: size.batch };
  const rates: Record<string, number> = {};
  for (const mode of ["journal-lock", "journal-retry", "journal-lock", "journal-retry"] as const) {
    const url = freshUrl(base, mode.replace("journal-", "seq_"));
    const conn = new PgConnection(url);
    await conn.ensureSchema();
    await conn.close();
    log(`pg sequence: ${mode}, ${size.workers} × ${size.calls}`);
    const { ms } = await parallel({ mode, url, experimentId: "1", count: size.calls, batch: size.batch }, size.workers);
    const stored = await countEvents(url);
    await dropSchema(url);
    if (stored !== total) throw new Error(`${mode}: ${stored} events stored, expected ${total}`);
    rates[mode] = Math.max(rates[mode] ?? 0, total / (ms / 1000)); // best of two: the machine is shared
  }
  Object.assign(data, { lockEventsPerSec: Math.round(rates["journal-lock"]!), retryEventsPerSec: Math.round(rates["journal-retry"]!) });
  const checks: Check[] = [
    { bench: "pg-sequence", what: "8 writers, seq by advisory lock", measured: `${Math.round(rates["journal-lock"]!)} events/s`, target: "(info)", pass: true },
    { bench: "pg-sequence", what: "8 writers, seq by unique-key retry", measured: `${Math.round(rates["journal-retry"]!)} events/s`, target: "(info)", pass: true },
  ];
  return result("pg-sequence", t0, data, checks);
}

export async function pgColdBench(base: string): Promise<BenchResult> {
  const t0 = now();
  const url = await freshStore(base, "cold");
  log(`pg cold: building a ${size.coldEvents.toLocaleString("en")}-event experiment`);
  const runId = await buildExperiment(url, size.coldEvents);
  const ours: number[] = [];
  const snapshot: number[] = [];
  const raw: number[] = [];
  const task = { url, experimentId: "1", count: 0, batch: 0, worker: 0, runId };
  for (let i = 0; i < size.coldRepeats; i++) {
    raw.push((await runChild<{ ms: number }>("postgres-worker.js", { ...task, mode: "cold-raw" })).ms);
    // Without a snapshot (the whole journal folded), then with the one that fold saved.
    await admin(url, (c, s) => c.query(`DELETE FROM ${s}.snapshots`));
    ours.push((await runChild<{ ms: number }>("postgres-worker.js", { ...task, mode: "cold-ours" })).ms);
    snapshot.push((await runChild<{ ms: number }>("postgres-worker.js", { ...task, mode: "cold-ours" })).ms);
  }
  await dropSchema(url);
  const ratio = median(raw) / median(ours);
  const data = { events: size.coldEvents, oursNoSnapshotMs: ours.map((x) => round(x)), oursFromSnapshotMs: snapshot.map((x) => round(x)), rawMs: raw.map((x) => round(x)) };
  const checks: Check[] = [
    { bench: "pg-cold", what: `cold getRun, ${size.coldEvents.toLocaleString("en")} events, no snapshot, vs cursor SELECT`, measured: `${round(ratio)} × raw (${round(median(ours))} ms vs ${round(median(raw))} ms)`, target: "≥ 0.5 × raw", pass: ratio >= 0.5 },
    { bench: "pg-cold", what: "the same, from the snapshot the first fold saved", measured: `${round(median(raw) / median(snapshot))} × raw (${round(median(snapshot))} ms)`, target: "(info)", pass: true },
  ];
  return result("pg-cold", t0, data, checks);
}

/** Writes `events` events of one run into experiment 1 with the library's own line encoding, in big INSERTs (no group-commit queue). */
async function buildExperiment(url: string, events: number): Promise<string> {
  const tracker = new RuneLog(url);
  const run = await tracker.startRun({ experimentId: "1", logGitMeta: false, logCode: false });
  await run.logParams({ lr: 0.01, depth: 6 });
  await tracker.close();
  return admin(url, async (c, s) => {
    const head = (await c.query(`SELECT seq, crc FROM ${s}.events WHERE stream = 'experiments/1' ORDER BY seq DESC LIMIT 1`)).rows[0] as { seq: string; crc: string } | undefined;
    let seq = head ? Number(head.seq) : 0;
    let crc = head?.crc ?? GENESIS_HASH;
    const clock = Date.now();
    const chunk = 5000;
    for (let done = seq; done < events; done += chunk) {
      const values: string[] = [];
      for (let i = 0; i < chunk && seq < events; i++) {
        const r = rowOf(draft("MetricsLogged", { runId: run.runId, metrics: { loss: 1 / (seq + 1), acc: seq / events }, step: seq, timestamp: clock + seq }, clock + seq));
        const prev = crc;
        crc = crcOf(lineHead(++seq, r, prev));
        values.push(`('experiments/1',${seq},'${r.id}',1,'${r.ts}','${r.type}',${pg.escapeLiteral(r.data)},'${prev}','${crc}')`);
      }
      if (values.length > 0) await c.query(`INSERT INTO ${s}.events (stream, seq, id, v, ts, type, data, prev, crc) VALUES ${values.join(",")}`);
    }
    return run.runId;
  });
}

export async function pgFollowBench(base: string): Promise<BenchResult> {
  const t0 = now();
  const url = await freshStore(base, "follow");
  const writer = new RuneLog(url);
  const run = await writer.startRun({ experimentId: "1", logGitMeta: false, logCode: false });
  const reader = new RuneLog(url);
  const controller = new AbortController();
  const seen = new Map<number, number>();
  let caughtUp!: () => void;
  const ready = new Promise<void>((r) => (caughtUp = r));
  let waiter = null as (() => void) | null;
  const following = (async () => {
    for await (const e of reader.events({ experiment: "1", follow: true, signal: controller.signal, onCaughtUp: () => caughtUp() })) {
      if (e.type === "MetricsLogged") {
        seen.set(e.data.step, now());
        if (waiter) waiter();
      }
    }
  })();
  await ready;
  // Reader and writer share a process here, but not a connection: the event goes through the server and back by NOTIFY.
  const latencies: number[] = [];
  for (let i = 0; i < size.followRounds; i++) {
    const got = new Promise<void>((r) => (waiter = r));
    const sent = now();
    await run.logMetric("loss", i, { step: i });
    await got;
    latencies.push(seen.get(i)! - sent);
    waiter = null;
  }
  controller.abort();
  await following;
  await run.end();
  await Promise.all([writer.close(), reader.close()]);
  await dropSchema(url);
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  const data = { rounds: size.followRounds, p50Ms: round(percentile(latencies, 50)), p99Ms: round(p99), maxMs: round(latencies.at(-1)!) };
  return result("pg-follow", t0, data, [{ bench: "pg-follow", what: "logMetric → events({ follow }) p99", measured: `${round(p99)} ms (p50 ${round(percentile(latencies, 50))} ms)`, target: "≤ 50 ms", pass: p99 <= 50 }]);
}

function result(bench: string, t0: number, data: Record<string, unknown>, checks: Check[]): BenchResult {
  return { bench, quick: QUICK, machine: machine(), startedAt: new Date(Date.now() - (now() - t0)).toISOString(), durationMs: round(now() - t0), data, checks };
}

export const PG_BENCHES = { ingest: pgIngestBench, sequence: pgSequenceBench, cold: pgColdBench, follow: pgFollowBench } as const;

// Run directly: node dist/bench/postgres.js [--quick] [names…]
if (process.argv[1]?.endsWith("postgres.js")) {
  (async () => {
    if (!PG_BENCH_URL) throw new Error("set RUNELOG_BENCH_PG_URL (or RUNELOG_TEST_PG_URL) to a PostgreSQL URL");
    const asked = process.argv.slice(2).filter((a) => !a.startsWith("--")) as Array<keyof typeof PG_BENCHES>;
    for (const name of asked.length > 0 ? asked : (Object.keys(PG_BENCHES) as Array<keyof typeof PG_BENCHES>)) {
      const r = await PG_BENCHES[name](PG_BENCH_URL);
      process.stdout.write(JSON.stringify(r) + "\n");
      for (const c of r.checks) process.stderr.write(`${c.bench}: ${c.what}: ${c.measured} (target ${c.target})\n`);
    }
  })().catch((err) => {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
