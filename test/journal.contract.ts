/**
 * The contract every journal backend must pass (src/store/types.ts: Journal, JournalStore). A
 * backend's spec calls `describeJournalContract(name, makeHarness, capabilities)`; `makeHarness`
 * gives a fresh, empty store. Exported for every backend's spec: files, memory, PostgreSQL.
 *
 * What a backend provides besides its JournalStore:
 * - `reopenStore()`: a second, independent JournalStore on the same storage (what another process
 *   would open: no state shared with the first one's writers or caches);
 * - `tear(bytes)`: leaves bytes at the end of stream STREAM's storage as a crash mid-append would.
 *   Only a backend declaring `capabilities.tornTail` has torn tails; the others' tests skip them.
 */
import { draft } from "../src/events.js";
import { type Capabilities, ConcurrencyConflict, isConflict, type Journal, type JournalStore, type Position, START, type StoredEvent, type StreamName } from "../src/store/types.js";

/** The stream the single-journal tests use. */
export const STREAM: StreamName = "experiments/1";

export interface JournalHarness {
  store: JournalStore;
  reopenStore(): JournalStore;
  tear?(bytes: Buffer): Promise<void>;
  cleanup(): Promise<void>;
}

/** The harness's STREAM through its own store, and through an independent one. */
interface Handles extends JournalHarness {
  journal: Journal;
  reopen(): Journal;
}

/** A recognisable draft: a ParamsLogged event whose data carries `tag`. */
export function tagged(tag: string) {
  return draft("ParamsLogged", { runId: "contract-run", params: { tag } });
}

export function tagsOf(events: readonly StoredEvent[]): string[] {
  return events.map((e) => (e.data as { params: { tag: string } }).params.tag);
}

async function readAll(journal: Journal, from: Position = START): Promise<{ events: StoredEvent[]; end: Position }> {
  const events: StoredEvent[] = [];
  let at = from;
  for (let guard = 0; guard < 100_000; guard++) {
    const chunk = await journal.read(at);
    events.push(...chunk.events);
    at = chunk.end;
    if (chunk.atEnd) return { events, end: at };
  }
  throw new Error("read never reached the end");
}

function expectChained(events: readonly StoredEvent[]): void {
  events.forEach((e, i) => {
    expect(e.seq).toBe(i + 1);
    if (i > 0) expect(e.prev).toBe(events[i - 1]!.crc);
  });
}

const HALF_LINE = (() => {
  const whole = `{"seq":999,${tagged("torn").body},"prev":"00000000","crc":"00000000"}\n`;
  return Buffer.from(whole.slice(0, Math.floor(whole.length / 2)), "utf8");
})();

export const TORN_TAILS: Array<[string, Buffer]> = [
  ["half a line", HALF_LINE],
  ["zero bytes", Buffer.from([0, 0, 0])],
  ["garbage without newline", Buffer.from("garbage \u00ff\u00fe{not json", "utf8")],
];

export function describeJournalContract(name: string, makeHarness: () => Promise<JournalHarness>, capabilities: Capabilities): void {
  describe(`Journal contract: ${name}`, () => {
    let h: Handles;
    beforeEach(async () => {
      const harness = await makeHarness();
      h = { ...harness, journal: harness.store.open(STREAM), reopen: () => harness.reopenStore().open(STREAM) };
    });
    afterEach(async () => {
      await h.cleanup();
    });

    test("a fresh stream reads as empty", async () => {
      const chunk = await h.journal.read(START);
      expect(chunk.events).toEqual([]);
      expect(chunk.end.seq).toBe(0);
      expect(chunk.atEnd).toBe(true);
    });

    test("append resolves once its events are readable, numbered consecutively across calls and within a batch", async () => {
      await h.journal.append([tagged("a"), tagged("b"), tagged("c")]);
      const first = await readAll(h.reopen());
      expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3]);
      await h.journal.append([tagged("d")]);
      const { events } = await readAll(h.journal);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(events.slice(0, 3)).toEqual(first.events);
      const crcs = events.map((e) => e.crc);
      for (const crc of crcs) expect(crc).toMatch(/^[0-9a-f]{8}$/);
      expect(new Set(crcs).size).toBe(4);
      expect(tagsOf(events)).toEqual(["a", "b", "c", "d"]);
      expectChained(events);
    });

    test("an empty batch appends nothing", async () => {
      await h.journal.append([tagged("a")]);
      await h.journal.append([]);
      expect((await readAll(h.journal)).events).toHaveLength(1);
      await h.journal.append([tagged("b")]);
      expect((await readAll(h.journal)).events.map((e) => e.seq)).toEqual([1, 2]);
    });

    test("read from START returns everything in order; read from a mid position returns exactly the rest", async () => {
      const tags = Array.from({ length: 40 }, (_, i) => `e${i}`);
      await h.journal.append(tags.map(tagged));
      const all = await h.journal.read(START);
      expect(tagsOf(all.events)).toEqual(tags);
      expect(all.end.seq).toBe(40);
      expect(all.atEnd).toBe(true);
      expect(all.problems).toEqual([]);
      expect(all.tornTail).toBeNull();
      expectChained(all.events);

      // A bounded read stops at an event boundary, and reading on from there yields the rest exactly.
      const first = await h.journal.read(START, { maxBytes: 1 });
      expect(first.events.length).toBeGreaterThanOrEqual(1);
      expect(first.events.length).toBeLessThan(40);
      expect(first.atEnd).toBe(false);
      expect(first.end.seq).toBe(first.events.at(-1)!.seq);
      const rest = await readAll(h.journal, first.end);
      expect(rest.events[0]!.seq).toBe(first.end.seq + 1);
      expect(tagsOf([...first.events, ...rest.events])).toEqual(tags);

      // From the end: nothing, until the stream grows; then only the new events.
      const none = await h.journal.read(all.end);
      expect(none.events).toEqual([]);
      expect(none.atEnd).toBe(true);
      await h.journal.append([tagged("late")]);
      const grown = await h.journal.read(all.end);
      expect(tagsOf(grown.events)).toEqual(["late"]);
      expect(grown.events[0]!.seq).toBe(41);
      expect(grown.events[0]!.prev).toBe(all.events[39]!.crc);
    });

    test("every position a bounded read returns is a valid starting point", async () => {
      const tags = Array.from({ length: 25 }, (_, i) => `p${i}`.repeat(1 + (i % 5)));
      await h.journal.append(tags.map(tagged));
      const seen: string[] = [];
      let at = START;
      for (let guard = 0; guard < 100; guard++) {
        const chunk = await h.journal.read(at, { maxBytes: 64 });
        seen.push(...tagsOf(chunk.events));
        at = chunk.end;
        if (chunk.atEnd) break;
      }
      expect(seen).toEqual(tags);
      expect(at.seq).toBe(25);
    });

    test("expectedSeq: an append at the right sequence succeeds; a stale one rejects with ConcurrencyConflict and writes nothing", async () => {
      await h.journal.append([tagged("first")], 0);
      expect((await readAll(h.journal)).events.map((e) => e.seq)).toEqual([1]);
      await h.journal.append([tagged("b"), tagged("c")]);
      const before = await readAll(h.journal);

      const stale = h.journal.append([tagged("stale-1"), tagged("stale-2")], 1);
      await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflict);
      await expect(stale).rejects.toMatchObject({ expectedSeq: 1, actualSeq: 3 });
      expect(isConflict(await stale.catch((e) => e))).toBe(true);
      const ahead = h.journal.append([tagged("ahead")], 7);
      await expect(ahead).rejects.toBeInstanceOf(ConcurrencyConflict);
      expect(await readAll(h.journal)).toEqual(before);

      await h.journal.append([tagged("right")], 3);
      expect(tagsOf((await readAll(h.journal)).events)).toEqual(["first", "b", "c", "right"]);
    });

    test("expectedSeq inside one group commit is judged in call order: a claim made stale by an earlier call conflicts, the others go through", async () => {
      await h.journal.append([tagged("x")]);
      const results = await Promise.allSettled([
        h.journal.append([tagged("free-1")]), // seq 2
        h.journal.append([tagged("claim-at-1")], 1), // stale: free-1 came first
        h.journal.append([tagged("claim-at-2")], 2), // fits after free-1: seq 3
        h.journal.append([tagged("again-at-2")], 2), // stale: claim-at-2 took it
        h.journal.append([tagged("free-2")]), // seq 4
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(ConcurrencyConflict);
      const { events } = await readAll(h.journal);
      expect(tagsOf(events)).toEqual(["x", "free-1", "claim-at-2", "free-2"]);
      expectChained(events);
    });

    test("two racing claims from independent handles: exactly one wins", async () => {
      await h.journal.append([tagged("x")]);
      const other = h.reopen();
      const results = await Promise.allSettled([h.journal.append([tagged("mine")], 1), other.append([tagged("theirs")], 1)]);
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ConcurrencyConflict);
      const { events } = await readAll(h.journal);
      expect(events).toHaveLength(2);
      expect(["mine", "theirs"]).toContain(tagsOf(events)[1]);
    });

    test("many unawaited appends are committed together and keep call order", async () => {
      const promises: Promise<void>[] = [];
      const expected: string[] = [];
      for (let i = 0; i < 300; i++) {
        const size = 1 + (i % 3);
        const tags = Array.from({ length: size }, (_, k) => `u${i}.${k}`);
        expected.push(...tags);
        promises.push(h.journal.append(tags.map(tagged)));
      }
      await Promise.all(promises);
      const { events } = await readAll(h.journal);
      expect(events.map((e) => e.seq)).toEqual(expected.map((_, i) => i + 1));
      expect(tagsOf(events)).toEqual(expected);
      expectChained(events);
    });

    test("two independent handles appending at once interleave without a lost or repeated sequence", async () => {
      const other = h.reopen();
      const mine: Promise<void>[] = [];
      const theirs: Promise<void>[] = [];
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 20; i++) {
          mine.push(h.journal.append([tagged(`A${round * 20 + i}`)]));
          theirs.push(other.append([tagged(`B${round * 20 + i}`)]));
        }
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all([Promise.all(mine), Promise.all(theirs)]);
      const { events } = await readAll(h.journal);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      expectChained(events);
      const tags = tagsOf(events);
      expect(tags.filter((t) => t.startsWith("A"))).toEqual(Array.from({ length: 200 }, (_, i) => `A${i}`));
      expect(tags.filter((t) => t.startsWith("B"))).toEqual(Array.from({ length: 200 }, (_, i) => `B${i}`));
    });

    describeStoreContract(() => h);

    // Only a backend that can be left holding half a record has these tests at all.
    if (capabilities.tornTail) describe.each(TORN_TAILS)("a torn tail (%s)", (_label, bytes) => {
      test("is ignored by read, and the next append through a new handle repairs it", async () => {
        await h.journal.append(["a", "b", "c"].map(tagged));
        const before = await readAll(h.journal);
        await h.tear!(bytes);

        const after = await readAll(h.journal);
        expect(after.events).toEqual(before.events);
        expect(after.end.seq).toBe(3);
        const fresh = await h.reopen().read(START);
        expect(fresh.events).toEqual(before.events);

        await h.reopen().append([tagged("d")]);
        const { events } = await readAll(h.reopen());
        expect(tagsOf(events)).toEqual(["a", "b", "c", "d"]);
        expect(events.slice(0, 3)).toEqual(before.events);
        expectChained(events);
        const last = await h.journal.read(START);
        expect(last.tornTail).toBeNull();
        expect(last.problems).toEqual([]);
        // A reader that had stopped before the torn bytes reads on across the repair.
        expect(tagsOf((await readAll(h.journal, before.end)).events)).toEqual(["d"]);
      });

      test("is repaired by the next append through the same handle that wrote before it", async () => {
        await h.journal.append(["a", "b"].map(tagged));
        await h.tear!(bytes);
        expect(tagsOf((await readAll(h.journal)).events)).toEqual(["a", "b"]);
        await h.journal.append([tagged("c"), tagged("d")]);
        const { events } = await readAll(h.reopen());
        expect(tagsOf(events)).toEqual(["a", "b", "c", "d"]);
        expectChained(events);
        expect((await h.journal.read(START)).tornTail).toBeNull();
      });

      test("on an otherwise empty stream is ignored and repaired", async () => {
        await h.tear!(bytes);
        expect((await h.journal.read(START)).events).toEqual([]);
        await h.journal.append([tagged("only")], 0);
        const { events } = await readAll(h.reopen());
        expect(tagsOf(events)).toEqual(["only"]);
        expect(events[0]!.prev).toBe("00000000");
      });
    });
  });
}

/** What a JournalStore adds to its journals: listing streams, and noticing growth. */
function describeStoreContract(handles: () => Handles): void {
  /** Waits until `done()` holds, checking every 10 ms, for up to 5 s (a notification may be late). */
  async function eventually(done: () => boolean): Promise<void> {
    for (let waited = 0; !done() && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  }

  test("list(): only streams holding events, the catalogue first, experiments by numeric id, the registry last, seen by every handle", async () => {
    const h = handles();
    expect(await h.store.list()).toEqual([]);
    h.store.open("experiments/7"); // opening writes nothing
    expect(await h.store.list()).toEqual([]);
    for (const stream of ["registry", "experiments/10", "experiments/2", "catalog", "experiments/7"] as const) await h.store.open(stream).append([tagged(stream)]);
    const expected = ["catalog", "experiments/2", "experiments/7", "experiments/10", "registry"];
    expect(await h.store.list()).toEqual(expected);
    expect(await h.reopenStore().list()).toEqual(expected);
  });

  test("holds(): a position read from the stream holds; START holds; a position from another stream does not", async () => {
    const h = handles();
    await h.journal.append(["a", "b", "c"].map(tagged));
    const other = h.store.open("experiments/2");
    await other.append(["x", "y", "z"].map(tagged));
    const end = (await h.journal.read(START)).end;
    expect(end.seq).toBe(3);
    expect(await h.journal.holds(end)).toBe(true);
    expect(await h.reopen().holds(end)).toBe(true);
    expect(await h.journal.holds(START)).toBe(true);
    expect(await other.holds(end)).toBe(false);
    const mid = (await h.journal.read(START, { maxBytes: 1 })).end;
    expect(mid.seq).toBeLessThan(3);
    expect(await h.journal.holds(mid)).toBe(true);
  });

  test("a position is plain data: cloned, it reads on exactly as the original", async () => {
    const h = handles();
    await h.journal.append(["a", "b"].map(tagged));
    const end = structuredClone((await h.journal.read(START)).end);
    await h.journal.append([tagged("c")]);
    expect(tagsOf((await h.reopen().read(end)).events)).toEqual(["c"]);
  });

  test("watch(): told of appends by another handle, to a stream that existed and to a new one; not after it stops", async () => {
    const h = handles();
    await h.journal.append([tagged("before")]);
    const heard: StreamName[] = [];
    const stop = h.store.watch((stream) => heard.push(stream));
    try {
      await new Promise((r) => setTimeout(r, 50)); // a watch may take a moment to start
      const writer = h.reopenStore();
      await writer.open(STREAM).append([tagged("grown")]);
      await eventually(() => heard.includes(STREAM));
      expect(heard).toContain(STREAM);
      await writer.open("experiments/9").append([tagged("new stream")]);
      await eventually(() => heard.includes("experiments/9"));
      expect(heard).toContain("experiments/9");
      expect(heard.every((s) => s === STREAM || s === "experiments/9")).toBe(true);
    } finally {
      stop();
    }
    heard.length = 0;
    await h.reopenStore().open(STREAM).append([tagged("unheard")]);
    await new Promise((r) => setTimeout(r, 600));
    expect(heard).toEqual([]);
  });

  test("watch(): two listeners are each told; stopping one leaves the other", async () => {
    const h = handles();
    const a: StreamName[] = [];
    const b: StreamName[] = [];
    const stopA = h.store.watch((s) => a.push(s));
    const stopB = h.store.watch((s) => b.push(s));
    try {
      await new Promise((r) => setTimeout(r, 50));
      await h.journal.append([tagged("one")]);
      await eventually(() => a.length > 0 && b.length > 0);
      expect(a).toContain(STREAM);
      expect(b).toContain(STREAM);
      stopA();
      a.length = 0;
      b.length = 0;
      await h.reopen().append([tagged("two")]);
      await eventually(() => b.length > 0);
      expect(b).toContain(STREAM);
      await new Promise((r) => setTimeout(r, 300));
      expect(a).toEqual([]);
    } finally {
      stopA();
      stopB();
    }
  });
}
