/**
 * node crash-writer.js <storeDir> <experimentName> <writerId> <ackFile> <lockStaleMs> <fsync 0|1>
 *
 * Logs into one run of its own, forever, until the test SIGKILLs it. Every event it logs carries
 * its counter c (a metric's step and value writerId * 1e6 + c, or a param "c<c>" = that value), so
 * the test can tell exactly which events it finds. Calls are a random mix of unawaited batches
 * (group commit, 1–64 events), awaited single metrics, and awaited params with long values (lines
 * of several pages, so a kill can tear a write in the middle).
 *
 * Acknowledgements go to <ackFile>, one line each, written with writeSync only in the promise's
 * own continuation — after it resolved: `run <runId>` once startRun resolved, then `<c>` per event.
 * Prints {"started":pid} to stdout when it has begun logging.
 *
 * With CRASH_WRITER_PACED=1 it sleeps 0–3 ms between calls (bounds the journal's growth).
 *
 * With CRASH_WRITER_TOLERANT=1 in its environment, a call that rejects is reported on stdout as
 * {"failed":c,"error":message} and the writer logs on (the default: it exits with code 1).
 *
 * With a 7th argument bigBytes > 0, after its first 20 events it prints {"big":c} and logs one param
 * whose value is bigBytes long (one write of that many bytes, which a kill can cut in the middle).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { RuneLog } from "../../src/index.js";

const [dir, experimentName, writerIdText, ackFile, staleText, fsyncText, bigText] = process.argv.slice(2);
if (!dir || !experimentName || !writerIdText || !ackFile || !staleText || !fsyncText) {
  process.stderr.write("usage: crash-writer <storeDir> <experimentName> <writerId> <ackFile> <lockStaleMs> <fsync>\n");
  process.exit(2);
}
const writerId = Number(writerIdText);
const bigBytes = Number(bigText ?? 0);
const ackFd = openSync(ackFile, "a");
const ack = (text: string) => void writeSync(ackFd, `${text}\n`);
const tolerant = process.env.CRASH_WRITER_TOLERANT === "1";
const paced = process.env.CRASH_WRITER_PACED === "1";
/** Waits for a call; a rejection ends the writer, or in tolerant mode is reported and passed over. */
const settle = (c: number, p: Promise<void>): Promise<void> =>
  p.then(
    () => ack(String(c)),
    (err: Error) => {
      if (!tolerant) throw err;
      process.stdout.write(JSON.stringify({ failed: c, error: `${err?.name}: ${err?.message}` }) + "\n");
    },
  );

let seed = (writerId * 2654435761 + process.pid) >>> 0;
const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;

async function main(): Promise<void> {
  const tracker = new RuneLog({ path: dir!, lockStaleMs: Number(staleText), fsync: fsyncText === "1" });
  const run = await tracker.startRun({ experimentName, logCode: false, logGitMeta: false, tags: { writer: String(writerId) } });
  ack(`run ${run.runId}`);
  process.stdout.write(JSON.stringify({ started: process.pid, runId: run.runId }) + "\n");
  const value = (c: number) => writerId * 1e6 + c;
  let bigDone = bigBytes <= 0;
  for (let c = 0; ; ) {
    if (!bigDone && c >= 20) {
      bigDone = true;
      const mine = c++;
      process.stdout.write(JSON.stringify({ big: mine }) + "\n");
      await settle(mine, run.logParams({ [`c${mine}`]: value(mine), pad: "x".repeat(bigBytes) }));
      continue;
    }
    // Paced: a writer that logs flat out fills hundreds of MB in the test's 40 s, and the reads that
    // check it then outgrow the test's time bound. Kills still land at random moments of its calls.
    if (paced) await new Promise((r) => setTimeout(r, rand(4)));
    const mode = rand(10);
    if (mode < 4) {
      const batch: Promise<void>[] = [];
      for (let k = 1 + rand(64); k > 0; k--, c++) {
        const mine = c;
        batch.push(settle(mine, run.logMetric("v", value(mine), { step: mine })));
      }
      await Promise.all(batch);
    } else if (mode < 8) {
      const mine = c++;
      await settle(mine, run.logMetric("v", value(mine), { step: mine }));
    } else {
      const mine = c++;
      await settle(mine, run.logParams({ [`c${mine}`]: value(mine), pad: "x".repeat(rand(12_000)) }));
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  closeSync(ackFd);
  process.exit(1);
});
