/** `runelog ingest`: the JSON-lines protocol read from a file or standard input, into a new run or an existing one. */
import type { Readable } from "node:stream";
import type { RuneLog } from "../tracker.js";
import { feedLines, type FeedReport } from "./feed.js";

export interface IngestOptions {
  experimentName?: string;
  /** Log into this existing run and leave its status alone. */
  runId?: string;
  warn: (message: string) => void;
}

export async function ingestLines(tracker: RuneLog, input: Readable, options: IngestOptions): Promise<{ runId: string; feed: FeedReport }> {
  if (options.runId !== undefined) {
    const run = await tracker.attachRun(options.runId);
    return { runId: run.runId, feed: await feedLines(input, run, { out: process.stdout, warn: options.warn, cwd: process.cwd() }) };
  }
  delete process.env.RUNELOG_RUN_ID; // ingest makes its own run
  const run = await tracker.startRun({ ...(options.experimentName !== undefined ? { experimentName: options.experimentName } : {}), logCode: false, logGitMeta: false });
  try {
    const feed = await feedLines(input, run, { out: process.stdout, warn: options.warn, cwd: process.cwd() });
    await run.end("FINISHED");
    return { runId: run.runId, feed };
  } catch (err) {
    await run.end("FAILED").catch(() => {});
    throw err;
  }
}
