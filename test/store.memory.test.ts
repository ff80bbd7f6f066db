/** The in-memory reference backend: the journal and blob contracts, and the whole tracker on it. */
import { MEMORY_CAPABILITIES, MemoryStore } from "../src/store/memory/index.js";
import { trackerOn } from "../src/tracker.js";
import { describeBlobContract } from "./blob.contract.js";
import { describeJournalContract } from "./journal.contract.js";

describeJournalContract(
  "memory",
  async () => {
    const store = new MemoryStore();
    return { store: store.journals, reopenStore: () => store.journals, cleanup: async () => {} };
  },
  MEMORY_CAPABILITIES,
);

describeBlobContract("memory", async () => {
  const store = new MemoryStore();
  return { blobs: store.blobs, reopen: () => store.blobs, cleanup: async () => {} };
});

describe("the tracker on a memory store", () => {
  test("logs, reads back, registers, deletes and verifies without touching a disk", async () => {
    const store = new MemoryStore();
    const t = trackerOn(store);
    const run = await t.startRun({ experimentName: "mem", logCode: false, logGitMeta: false });
    await run.logParams({ lr: 0.1 });
    for (let step = 0; step < 5; step++) await run.logMetric("loss", 1 / (step + 1), { step });
    await run.logModel({ w: [1, 2, 3] }, "model");
    await run.end();
    expect(await t.getOrCreateExperiment("mem")).toBe("1");
    const got = await t.getRun(run.runId);
    expect(got).toMatchObject({ status: "FINISHED", params: { lr: 0.1 }, metrics: { loss: 0.2 } });
    expect(await t.registerModel(run.runId, "model", "clf")).toBe("1");
    expect(await t.registerModel(run.runId, "model", "clf")).toBe("2");
    expect(await t.loadRegisteredModel("clf", "latest")).toEqual({ w: [1, 2, 3] });
    const view = t.asOf(new Date(Date.now() + 1000));
    expect((await view.getRun(run.runId))?.params).toEqual({ lr: 0.1 });
    await t.deleteRun(run.runId);
    expect(await t.getRun(run.runId)).toBeNull();
    expect(await t.loadRegisteredModel("clf", "1")).toEqual({ w: [1, 2, 3] }); // the registry still holds the bytes
    const report = await t.verify();
    expect(report.ok).toBe(true);
    expect(report.journals.map((j) => j.file)).toEqual(["catalog", "experiments/1", "registry"]);
    // A second tracker on the same store sees it all.
    expect(await trackerOn(store).getModelVersions("clf")).toHaveLength(2);
  });
});
