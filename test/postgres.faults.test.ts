/**
 * Faults of a database store: a commit whose reply is lost (the retry must not duplicate), and the
 * server restarted while 4 processes log (nothing acknowledged lost, nothing repeated, the clients
 * carry on). The restart test starts its own throwaway cluster (scripts/test-postgres.sh) on a free
 * port and always stops it.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { resolve } from "node:path";
import pg from "pg";
import { draft } from "../src/events.js";
import { RuneLog } from "../src/index.js";
import { PgJournalBackend, parsePostgresUrl } from "../src/store/postgres/index.js";
import { dropSchema, PG_URL, pgSkipReason, schemaUrl } from "./helpers/postgres.js";
import { release, startWorker } from "./workers/harness.js";

jest.setTimeout(180_000);

const SCRIPT = resolve(__dirname, "..", "scripts", "test-postgres.sh");
const WORKER = resolve(__dirname, "..", "dist", "test", "workers", "pg-logger.js");

/** A TCP proxy to the server that, once armed, passes a COMMIT on and then cuts the connection instead of passing back its reply. */
async function lossyProxy(target: URL): Promise<{ port: number; arm: () => void; cuts: () => number; close: () => Promise<void> }> {
  let armed = false;
  let cut = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let dropNextReply = false;
    client.on("data", (chunk) => {
      if (armed && chunk.toString("latin1").includes("COMMIT")) {
        armed = false;
        dropNextReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (dropNextReply) {
        cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    arm: () => (armed = true),
    cuts: () => cut,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

if (!PG_URL) {
  test.skip(pgSkipReason, () => {});
} else {
  test("a batch whose COMMIT reply is lost is retried once its ids are looked up: every event stored exactly once", async () => {
    const url = schemaUrl("lost");
    const proxy = await lossyProxy(new URL(PG_URL!));
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const backend = new PgJournalBackend(viaProxy.toString());
    try {
      const journal = backend.open("experiments/1");
      await journal.append([draft("ParamsLogged", { runId: "r", params: { n: 0 } })]); // creates the schema
      proxy.arm();
      await Promise.all(Array.from({ length: 20 }, (_, i) => journal.append([draft("ParamsLogged", { runId: "r", params: { n: i + 1 } })])));
      expect(proxy.cuts()).toBe(1);
      await journal.append([draft("ParamsLogged", { runId: "r", params: { n: 21 } })]);
      const { connectionString, schema } = parsePostgresUrl(url);
      const c = new pg.Client({ connectionString });
      await c.connect();
      const rows = (await c.query(`SELECT seq, (data->'params'->>'n')::int AS n FROM ${pg.escapeIdentifier(schema)}.events ORDER BY seq`)).rows;
      await c.end();
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
      expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 22 }, (_, i) => i));
      expect((await new RuneLog(url).verify()).ok).toBe(true);
    } finally {
      await backend.close();
      await proxy.close();
      await dropSchema(url);
    }
  });

  describe("a server restarted while 4 processes log", () => {
    let dir: string | undefined;
    let url: string;
    beforeAll(async () => {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const out = execFileSync("bash", [SCRIPT, "start"], { env: { ...process.env, RUNELOG_TEST_PG_PORT: String(port) }, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      dir = /RUNELOG_TEST_PG_DIR=(\S+)/.exec(out)![1];
      url = /RUNELOG_TEST_PG_URL=(\S+)/.exec(out)![1]! + "?schema=restart";
    });
    afterAll(() => {
      if (dir) execFileSync("bash", [SCRIPT, "stop", dir], { stdio: "ignore" });
    });

    test("calls in flight reject clearly or are retried; nothing acknowledged is lost or repeated; the clients carry on", async () => {
      if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npx tsc\` first`);
      const N = 2000;
      const workers = ["a", "b", "c", "d"].map((label) => startWorker(WORKER, [url, "restart", String(N), label], { killAfterMs: 150_000 }));
      await release(workers);
      await Promise.all(workers.map((w) => w.waitFor((m) => m?.acked >= 100)));
      execFileSync("bash", [SCRIPT, "restart", dir!], { stdio: "ignore" });
      const restarted = Date.now();
      const results = await Promise.all(workers.map((w) => w.done));
      // Each worker was still logging when the server went down, and went on logging after it was back.
      for (const r of results) expect(r.messages.filter((m) => m.acked !== undefined && m.at > restarted).length).toBeGreaterThan(0);
      for (const r of results) expect([r.code, r.stderr]).toEqual([0, ""]);
      const t = new RuneLog(url);
      for (const r of results) {
        const { runId } = r.messages.find((m) => m.runId);
        expect(r.messages.some((m) => m.done)).toBe(true);
        const rejected = new Set(r.messages.filter((m) => m.rejected !== undefined).map((m) => m.rejected as number));
        const history = (await t.getMetricHistory(runId, "m")).map((p) => p.step);
        // Every step is there; a step appears twice only where its call was rejected and logged again by the worker.
        expect([...new Set(history)].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
        const repeated = history.filter((s, i) => history.indexOf(s) !== i);
        for (const s of repeated) expect(rejected.has(s - (s % 2))).toBe(true);
        expect(await t.getRun(runId)).toMatchObject({ status: "FINISHED" });
      }
      expect((await t.verify()).ok).toBe(true);
      await t.close();
    });
  });
}
