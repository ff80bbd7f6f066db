/** The folder store's blobs: the blob contract (the process race is test/blob.race.test.ts). */
import { openStore } from "../src/store/index.js";
import { describeBlobContract } from "./blob.contract.js";
import { removeDir, tempDir } from "./helpers/store.js";

describeBlobContract("files", async () => {
  const dir = tempDir("runelog-blobs-");
  return { blobs: openStore(dir).blobs, reopen: () => openStore(dir).blobs, cleanup: async () => removeDir(dir) };
});
