/** The PostgreSQL backend against the journal and blob contracts every backend passes (each test in a schema of its own). */
import { crc32 } from "node:zlib";
import type { EventDraft } from "../src/events.js";
import { hex8 } from "../src/store/line.js";
import { PG_CAPABILITIES, PgStore } from "../src/store/postgres/index.js";
import { START } from "../src/store/types.js";
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
  test("an event whose id, ts or type need JSON escaping reads back whole and unreported, as the file journal reads it", async () => {
    // A read builds each row's line in SQL quoting these as they are; such a row's line fails its crc and is checked again from its columns.
    const s = stores("escapes");
    try {
      const journal = s.open().journals.open("experiments/1");
      const odd = (id: string, ts: string, type: string, data: unknown): EventDraft => ({
        body: `"v":1,"id":${JSON.stringify(id)},"ts":${JSON.stringify(ts)},"type":${JSON.stringify(type)},"data":${JSON.stringify(data)}`,
        id,
        ts,
        type: type as EventDraft["type"],
      });
      const drafts = [
        odd("plain-1", "2026-01-01T00:00:00.000Z", "ParamsLogged", { p: "é😀" }),
        odd('quote"back\\slash', "tab\there", "new\nline", { q: 'a"b' }),
        odd("plain-2", "2026-01-01T00:00:01.000Z", "ParamsLogged", { n: 1 }),
        odd("ctrl\u0001", "ünï", "Type\u001f", {}),
      ];
      await journal.append(drafts);
      const chunk = await s.open().journals.open("experiments/1").read(START, { onCorrupt: "throw" });
      expect(chunk.problems).toEqual([]);
      expect(chunk.events.map((e) => [e.seq, e.id, e.ts, e.type, e.data])).toEqual([
        [1, "plain-1", "2026-01-01T00:00:00.000Z", "ParamsLogged", { p: "é😀" }],
        [2, 'quote"back\\slash', "tab\there", "new\nline", { q: 'a"b' }],
        [3, "plain-2", "2026-01-01T00:00:01.000Z", "ParamsLogged", { n: 1 }],
        [4, "ctrl\u0001", "ünï", "Type\u001f", {}],
      ]);
      // Each event's crc is the crc of its canonical line, chained to the one before, as in a file.
      let prev = "00000000";
      for (const e of chunk.events) {
        expect(e.prev).toBe(prev);
        const line = `{"seq":${e.seq},"v":1,"id":${JSON.stringify(e.id)},"ts":${JSON.stringify(e.ts)},"type":${JSON.stringify(e.type)},"data":${JSON.stringify(e.data)},"prev":"${prev}"`;
        expect(e.crc).toBe(hex8(crc32(line)));
        prev = e.crc;
      }
    } finally {
      await s.cleanup();
    }
  });

  describeBlobContract("postgres", async () => {
    const s = stores("blobs");
    return { blobs: s.open().blobs, reopen: () => s.open().blobs, cleanup: s.cleanup };
  });
}
