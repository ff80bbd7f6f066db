/** The PostgreSQL backend: the journal contract, plus what only a database shows (schema creation, ids, notifications). */
import { PgJournalBackend } from "../src/store/postgres/index.js";
import { describeJournalContract } from "./journal.contract.js";
import { dropSchema, PG_URL, pgSkipReason, schemaUrl } from "./helpers/postgres.js";

if (!PG_URL) {
  test.skip(pgSkipReason, () => {});
} else {
  describe.each(["lock", "retry"] as const)("sequence by %s", (sequence) => describeJournalContract(`PgJournal (${sequence})`, async () => {
    const url = schemaUrl("contract");
    const backends: PgJournalBackend[] = [];
    const make = () => {
      const b = new PgJournalBackend(url, { sequence });
      backends.push(b);
      return b.open("experiments/1");
    };
    return {
      journal: make(),
      reopen: make,
      tear: async () => {}, // an INSERT is atomic: there is no torn tail
      cleanup: async () => {
        await Promise.all(backends.map((b) => b.close()));
        await dropSchema(url);
      },
    };
  }));
}
