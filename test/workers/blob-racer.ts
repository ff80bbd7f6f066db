/**
 * Races attach against detach on one blob: each round puts the same bytes, attaches them to its own
 * run, checks the blob is readable while it holds it, and detaches. Prints {"rounds":n,"lost":k}:
 * `lost` counts rounds where the blob vanished while this worker held it.
 * Usage: node blob-racer.js STORE_DIR WORKER ROUNDS
 */
import { ArtifactNotFound } from "../../src/errors.js";
import { openStore } from "../../src/store/index.js";
import { argv, emit, main, waitForGo } from "./common.js";

main(async () => {
  const dir = argv(0, "store dir");
  const worker = argv(1, "worker");
  const rounds = Number(argv(2, "rounds"));
  const { blobs } = openStore(dir);
  const bytes = Buffer.from("the same bytes in every worker\n".repeat(64));
  const holder = { kind: "run" as const, runId: `run-${worker}`, name: "model.bin" };
  await waitForGo();
  let lost = 0;
  for (let i = 0; i < rounds; i++) {
    let ref;
    do ref = await blobs.put({ bytes });
    while (!(await blobs.attach(ref.sha256, holder)));
    try {
      await blobs.read(ref.sha256);
    } catch (err) {
      if (!(err instanceof ArtifactNotFound)) throw err;
      lost++;
    }
    await blobs.detach([{ sha256: ref.sha256, holder }]);
  }
  emit({ rounds, lost });
});
