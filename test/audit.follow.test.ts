/** events({ follow }): the stored history, then new events as they are appended, until the signal aborts. */
import { RuneLog, InvalidInput, type JournalEvent } from "../src/index.js";
import { removeDir, tempDir } from "./helpers/store.js";

const QUIET = { logCode: false, logGitMeta: false };
let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => removeDir(dir));

/** Collects followed events until `until` holds for what was seen, then aborts. */
async function follow(tracker: RuneLog, query: Parameters<RuneLog["events"]>[0], until: (seen: JournalEvent[]) => boolean, whileFollowing: () => Promise<void>) {
  const stop = new AbortController();
  const seen: JournalEvent[] = [];
  let caughtUpAt = -1;
  const reading = (async () => {
    for await (const e of tracker.events({ ...query, follow: true, signal: stop.signal, onCaughtUp: () => (caughtUpAt = seen.length) })) {
      seen.push(e);
      if (until(seen)) stop.abort();
    }
  })();
  while (caughtUpAt < 0) await new Promise((r) => setTimeout(r, 10));
  await whileFollowing();
  await reading;
  return { seen, caughtUpAt };
}

test("after the stored events, new ones from another tracker arrive in journal order, and the iteration ends when the signal aborts", async () => {
  const writer = new RuneLog(dir);
  const run = await writer.startRun({ experimentName: "live", ...QUIET });
  await run.logMetric("m", 0, { step: 0 });
  const { seen, caughtUpAt } = await follow(
    new RuneLog(dir),
    { runId: run.runId },
    (s) => s.some((e) => e.type === "RunEnded"),
    async () => {
      for (let step = 1; step <= 5; step++) await run.logMetric("m", step, { step });
      await run.end();
    },
  );
  expect(caughtUpAt).toBe(2); // RunStarted and the first metric were stored before
  expect(seen.map((e) => e.type)).toEqual(["RunStarted", "MetricsLogged", ...Array(5).fill("MetricsLogged"), "RunEnded"]);
  expect(seen.filter((e) => e.type === "MetricsLogged").map((e) => (e.data as { step: number }).step)).toEqual([0, 1, 2, 3, 4, 5]);
  const seqs = seen.map((e) => e.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
});

test("following the whole store picks up journals created after it started", async () => {
  const writer = new RuneLog(dir);
  await writer.getOrCreateExperiment("first");
  const { seen } = await follow(
    new RuneLog(dir),
    {},
    (s) => s.some((e) => e.type === "RunEnded"),
    async () => {
      await writer.startRun({ experimentName: "second", ...QUIET }, async (r) => r.logParam("p", 1));
    },
  );
  const types = seen.map((e) => e.type);
  expect(types.filter((t) => t === "ExperimentCreated").length).toBe(3); // Default, first, second
  expect(types.slice(-3)).toEqual(["RunStarted", "ParamsLogged", "RunEnded"]);
});

test("follow cannot be combined with until, nor used on a view of the past", async () => {
  const tracker = new RuneLog(dir);
  await tracker.getOrCreateExperiment("x");
  // events() returns an iterable, not a promise: it checks its query at once and throws.
  expect(() => tracker.events({ follow: true, until: new Date() })).toThrow(InvalidInput);
  expect(() => tracker.asOf(new Date()).events({ follow: true })).toThrow(InvalidInput);
  expect(() => tracker.events({ follow: "yes" as unknown as boolean })).toThrow(/follow/);
});
