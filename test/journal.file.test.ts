/** The file backend: the journal contract, plus what only a file can show (bytes, damage, locks). */
import { appendFileSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import lockfile from "proper-lockfile";
import { JournalCorrupted, LockTimeout, RuneLog } from "../src/index.js";
import { DEFAULT_LOCK_OPTIONS, FileJournal, FileJournalBackend, START, type Journal } from "../src/journal/index.js";
import { FILE_CAPABILITIES } from "../src/store/file/index.js";
import { StorePaths } from "../src/store/paths.js";
import { journalLock } from "../src/journal/lock.js";
import { describeJournalContract, tagged, tagsOf } from "./journal.contract.js";
import { removeDir, tempDir } from "./helpers/store.js";
import { checkRawJournal } from "./workers/harness.js";

// Each FileJournal with distinct options gets its own writer (no shared group-commit state), which is
// what another process opening the file would have.
let distinct = 0;
function openFile(file: string, lock = DEFAULT_LOCK_OPTIONS): FileJournal {
  return new FileJournal(file, "j.ndjson", { lock: { ...lock, staleMs: lock.staleMs + ++distinct }, fsync: false });
}

describeJournalContract(
  "files",
  async () => {
    const dir = tempDir("runelog-journal-");
    const paths = new StorePaths(join(dir, "nested")); // the writer creates missing folders
    const stores: FileJournalBackend[] = [];
    const open = () => {
      const store = new FileJournalBackend(paths, { lock: { ...DEFAULT_LOCK_OPTIONS, staleMs: DEFAULT_LOCK_OPTIONS.staleMs + ++distinct }, fsync: false });
      stores.push(store);
      return store;
    };
    return {
      store: open(),
      reopenStore: open,
      tear: async (bytes) => {
        mkdirSync(dirname(paths.experiment("1")), { recursive: true });
        appendFileSync(paths.experiment("1"), bytes);
      },
      cleanup: async () => removeDir(dir),
    };
  },
  FILE_CAPABILITIES,
);

describe("FileJournal on disk", () => {
  let dir: string;
  let file: string;
  let journal: Journal;
  beforeEach(() => {
    dir = tempDir("runelog-journal-file-");
    file = join(dir, "j.ndjson");
    journal = openFile(file);
  });
  afterEach(() => removeDir(dir));

  /** append resolves as soon as its bytes are written; the writer releases the lock just after. */
  async function lockReleased(f: string): Promise<void> {
    for (let i = 0; i < 500 && existsSync(`${f}.lock`); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(`${f}.lock`)).toBe(false);
  }

  /** Byte offset of the first byte of 1-based line `n`. */
  function offsetOfLine(bytes: Buffer, n: number): number {
    let at = 0;
    for (let i = 1; i < n; i++) at = bytes.indexOf(10, at) + 1;
    return at;
  }

  test("lines on disk are one NDJSON event each, checked by an independent CRC-32 and chain check", async () => {
    await journal.append(["a", "b", "c"].map(tagged));
    await Promise.all(["d", "e"].map((t) => journal.append([tagged(t)])));
    const raw = checkRawJournal(file);
    expect(raw.problems).toEqual([]);
    expect(raw.tail.length).toBe(0);
    expect(raw.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(raw.events[0]!.prev).toBe("00000000");
    expect(raw.events.map((e) => e.data.params.tag)).toEqual(["a", "b", "c", "d", "e"]);
    for (const e of raw.events) {
      expect(e.v).toBe(1);
      expect(e.type).toBe("ParamsLogged");
    }
  });

  test("300 unawaited appends take the lock once (group commit)", async () => {
    const lock = jest.spyOn(journalLock, "withLock");
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => journal.append([tagged(`g${i}`)])));
      expect(lock).toHaveBeenCalledTimes(1);
      await journal.append([tagged("one-more")]);
      expect(lock).toHaveBeenCalledTimes(2);
    } finally {
      lock.mockRestore();
    }
    expect(checkRawJournal(file).events).toHaveLength(301);
  });

  describe.each([
    ["a flipped digit (still JSON)", (line: Buffer) => {
      const i = line.indexOf('"tag":"e2"');
      line[i + 8] = "7".charCodeAt(0);
    }, "bad-checksum"],
    ["a flipped brace (not JSON)", (line: Buffer) => {
      line[0] = "[".charCodeAt(0);
    }, "bad-json"],
    ["a flipped crc digit", (line: Buffer) => {
      const i = line.lastIndexOf('"crc":"') + 7;
      line[i] = line[i] === 0x30 ? 0x31 : 0x30;
    }, "bad-checksum"],
  ] as const)("a damaged middle line: %s", (_label, damage, kind) => {
    let bytes: Buffer;
    let offset: number;
    beforeEach(async () => {
      await journal.append(["e0", "e1", "e2", "e3", "e4"].map(tagged));
      bytes = readFileSync(file);
      offset = offsetOfLine(bytes, 3);
      damage(bytes.subarray(offset, bytes.indexOf(10, offset)));
      writeFileSync(file, bytes);
    });

    test("read throws JournalCorrupted naming the file, the line and its byte offset", async () => {
      const err = await Promise.resolve()
        .then(() => openFile(file).read(START))
        .catch((e) => e);
      expect(err).toBeInstanceOf(JournalCorrupted);
      expect(err).toMatchObject({ file: "j.ndjson", line: 3, offset, code: "JOURNAL_CORRUPTED" });
      if (kind) expect(err.kind).toBe(kind);
      expect(err.message).toContain("j.ndjson");
      expect(err.message).toContain("line 3");
      expect(err.message).toContain(String(offset));
    });

    test('onCorrupt "skip" passes over that line, keeps the rest and reports where', async () => {
      const chunk = await openFile(file).read(START, { onCorrupt: "skip" });
      expect(tagsOf(chunk.events)).toEqual(["e0", "e1", "e3", "e4"]);
      expect(chunk.problems).toHaveLength(1);
      expect(chunk.problems[0]).toMatchObject({ line: 3, offset });
      if (kind) expect(chunk.problems[0]!.kind).toBe(kind);
      expect(chunk.end.seq).toBe(5);
    });

    test("an append after the damage still chains onto the intact last line", async () => {
      await openFile(file).append([tagged("e5")]);
      expect((await openFile(file).read(START, { onCorrupt: "skip" })).end.seq).toBe(6);
      expect(tagsOf((await openFile(file).read(START, { onCorrupt: "skip" })).events)).toEqual(["e0", "e1", "e3", "e4", "e5"]);
    });
  });

  test("a removed line breaks the chain: read throws JournalCorrupted (broken-chain) at the line after the gap", async () => {
    await journal.append(["e0", "e1", "e2", "e3"].map(tagged));
    const bytes = readFileSync(file);
    const l2 = offsetOfLine(bytes, 2);
    const l3 = offsetOfLine(bytes, 3);
    writeFileSync(file, Buffer.concat([bytes.subarray(0, l2), bytes.subarray(l3)]));
    const err = await Promise.resolve()
      .then(() => openFile(file).read(START))
      .catch((e) => e);
    expect(err).toBeInstanceOf(JournalCorrupted);
    expect(err).toMatchObject({ line: 2, offset: l2, kind: "broken-chain" });
    const skipped = await openFile(file).read(START, { onCorrupt: "skip" });
    expect(skipped.problems).toEqual([{ line: 2, offset: l2, kind: "broken-chain" }]);
  });

  test("a damaged last complete line is not chained onto: the append rejects with JournalCorrupted and changes no byte", async () => {
    await journal.append(["e0", "e1", "e2"].map(tagged));
    const bytes = readFileSync(file);
    const l3 = offsetOfLine(bytes, 3);
    bytes[bytes.indexOf('"tag":"e2"', l3) + 8] = "9".charCodeAt(0);
    writeFileSync(file, bytes);
    const err = await openFile(file).append([tagged("e3")]).catch((e) => e);
    expect(err).toBeInstanceOf(JournalCorrupted);
    expect(err).toMatchObject({ file: "j.ndjson", line: 3, offset: l3 });
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  test("a lock left behind by a dead process is taken over once stale", async () => {
    await journal.append([tagged("before")]);
    const lockDir = `${file}.lock`;
    await lockReleased(file);
    mkdirSync(lockDir);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockDir, old, old);
    await openFile(file, { staleMs: 2000, timeoutMs: 30_000 }).append([tagged("after")]);
    expect(checkRawJournal(file).events.map((e) => e.data.params.tag)).toEqual(["before", "after"]);
    expect(existsSync(lockDir)).toBe(false);
    expect(checkRawJournal(file).problems).toEqual([]);
  });

  test("a lock held by a live writer makes a bounded writer give up with LockTimeout, writing nothing", async () => {
    await journal.append([tagged("before")]);
    const before = readFileSync(file);
    await lockReleased(file);
    const release = await lockfile.lock(file, { realpath: false, stale: 10_000 });
    try {
      const err = await openFile(file, { staleMs: 10_000, timeoutMs: 200 }).append([tagged("blocked")]).catch((e) => e);
      expect(err).toBeInstanceOf(LockTimeout);
      expect(err.code).toBe("LOCK_TIMEOUT");
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      await release();
    }
    // Once released, the next append goes through and chains on.
    await openFile(file).append([tagged("later")]);
    expect(checkRawJournal(file).events.map((e) => e.seq)).toEqual([1, 2]);
  });

  test("through the tracker: a damaged metric line makes reads throw JournalCorrupted naming the journal; onCorrupt skip reads past it", async () => {
    const tracker = new RuneLog(dir);
    const run = await tracker.startRun({ experimentName: "dmg", logCode: false, logGitMeta: false });
    for (let i = 0; i < 4; i++) await run.logMetric("m", i, { step: i });
    await run.end();
    const expFile = join(dir, ".runelog", "experiments", `${run.experimentId}.ndjson`);
    const bytes = readFileSync(expFile);
    // Line 1 RunStarted, lines 2..5 metrics 0..3: damage the metric with value 3 (line 5).
    const l5 = offsetOfLine(bytes, 5);
    const at = bytes.indexOf('"m":3', l5);
    expect(at).toBeGreaterThan(l5);
    bytes[at + 4] = "8".charCodeAt(0);
    writeFileSync(expFile, bytes);

    const err = await new RuneLog(dir).getRun(run.runId).catch((e) => e);
    expect(err).toBeInstanceOf(JournalCorrupted);
    expect(err).toMatchObject({ file: join(".runelog", "experiments", `${run.experimentId}.ndjson`), line: 5, offset: l5 });

    const skipping = new RuneLog({ path: dir, onCorrupt: "skip" });
    const view = await skipping.getRun(run.runId);
    expect(view).toMatchObject({ status: "FINISHED", metrics: { m: 2 } });
    expect((await skipping.getMetricHistory(run.runId, "m")).map((p) => p.value)).toEqual([0, 1, 2]);
  });
});
