/**
 * node register.js <storeDir> <runId> <artifactName> <modelName> <count>
 * Registers `count` versions of one model from one run: half awaited one by one, half at once.
 * Prints {"versions":[…]}.
 */
import { RuneLog } from "../../src/index.js";
import { argv, emit, main, waitForGo } from "./common.js";

main(async () => {
  const dir = argv(0, "storeDir");
  const runId = argv(1, "runId");
  const artifactName = argv(2, "artifactName");
  const modelName = argv(3, "modelName");
  const count = Number(argv(4, "count"));
  await waitForGo();
  const tracker = new RuneLog(dir);
  const versions: string[] = [];
  const sequential = Math.ceil(count / 2);
  for (let i = 0; i < sequential; i++) versions.push(await tracker.registerModel(runId, artifactName, modelName, { by: String(process.pid) }));
  versions.push(...(await Promise.all(Array.from({ length: count - sequential }, () => tracker.registerModel(runId, artifactName, modelName, { by: String(process.pid) })))));
  emit({ versions });
});
