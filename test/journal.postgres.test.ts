/** The PostgreSQL backend against the journal and blob contracts every backend passes (each test in a schema of its own). */
import { PG_CAPABILITIES, PgStore } from "../src/store/postgres/index.js";
import { describeBlobContract } from "./blob.contract.js";
import { describeJournalContract } from "./journal.contract.js";
import { dropSchema, PG_URL, pgSkipReason, schemaUrl } from "./helpers/postgres.js";
import { removeDir, tempDir } from "./helpers/store.js";

/** Stores on one fresh schema: the first and each reopened one are independent (own pool, own group commit), as other processes'. */
function stores(label: string, sequence: "lock" | "retry" = "lock") {
  const url = schemaUrl(label);
  const cacheDir = tempDir("runelog-pg-contract-");
  const opened: PgStore[] = [];
  const open = () => {
    const s = new PgStore(url, { sequence, cacheDir });
    opened.push(s);
    return s;
  };
  return {
    open,
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await dropSchema(url);
      removeDir(cacheDir);
    },
  };
}

if (!PG_URL) {
  test.skip(pgSkipReason, () => {});
} else {
  for (const sequence of ["lock", "retry"] as const) {
    describeJournalContract(
      `postgres (seq by ${sequence})`,
      async () => {
        const s = stores("contract", sequence);
        return { store: s.open().journals, reopenStore: () => s.open().journals, cleanup: s.cleanup };
      },
      PG_CAPABILITIES,
    );
  }
  describeBlobContract("postgres", async () => {
    const s = stores("blobs");
    return { blobs: s.open().blobs, reopen: () => s.open().blobs, cleanup: s.cleanup };
  });
}
