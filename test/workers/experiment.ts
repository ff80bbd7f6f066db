/**
 * node experiment.js <storeDir> <name>
 * Races getOrCreateExperiment(name) (twice at once inside this process too). Prints {"ids":[…]}.
 */
import { RuneLog } from "../../src/index.js";
import { argv, emit, main, waitForGo } from "./common.js";

main(async () => {
  const dir = argv(0, "storeDir");
  const name = argv(1, "name");
  await waitForGo();
  const tracker = new RuneLog(dir);
  const ids = await Promise.all([tracker.getOrCreateExperiment(name), new RuneLog(dir).getOrCreateExperiment(name)]);
  emit({ ids });
});
