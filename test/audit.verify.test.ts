/**
 * verify() and the damage rules, with real damage done to copies of a real store: a flipped byte, a
 * line that is not JSON, a deleted line, a duplicated line, two swapped lines, zeros and garbage after
 * the last good line (with and without a newline), and events this version cannot read (an unknown
 * type, a future schema version) written with a valid checksum and chain. For each: verify() names
 * the file, the 1-based line and the byte offset (computed here from the bytes); reads of that journal
 * throw JournalCorrupted naming the same; a tracker opened with { onCorrupt: "skip" } reads past the
 * bad lines; and an append never chains onto a damaged last line.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JournalCorrupted, RuneLog, type JournalEvent } from "../src/index.js";
import { encodeLine } from "../src/journal/line.js";
import { caught, QUIET } from "./helpers/api.js";
import { removeDir, snapshotFiles, tempDir } from "./helpers/store.js";

const DAMAGED = ".runelog/experiments/1.ndjson";

interface Problem {
  line: number;
  offset: number;
  kind: string;
}

/** The template store every test copies: experiment "dmg" (id 1) with one run of 7 events, experiment "other" (id 2). */
let template: string;
let dmgRunId: string;
let otherRunId: string;
let original: Buffer;
/** Each stored line of the damaged journal, newline included. */
let lines: Buffer[];
let starts: number[];
let ids: string[];

beforeAll(async () => {
  template = tempDir("runelog-verify-template-");
  const t = new RuneLog(template);
  const run = await t.startRun({ experimentName: "dmg", ...QUIET });
  await run.logParams({ lr: 0.01 });
  for (const step of [0, 1, 2]) await run.logMetric("loss", 1 / (step + 1), { step });
  await run.setTags({ stage: "done" });
  await run.end();
  const other = await t.startRun({ experimentName: "other", ...QUIET });
  await other.logMetric("acc", 0.5);
  await other.end();
  dmgRunId = run.runId;
  otherRunId = other.runId;
  expect(run.experimentId).toBe("1");
  expect(other.experimentId).toBe("2");
  original = readFileSync(join(template, DAMAGED));
  lines = [];
  starts = [];
  for (let at = 0; at < original.length; ) {
    const nl = original.indexOf(10, at);
    starts.push(at);
    lines.push(original.subarray(at, nl + 1));
    at = nl + 1;
  }
  ids = lines.map((l) => (JSON.parse(l.toString("utf8")) as JournalEvent).id);
  expect(lines.map((l) => (JSON.parse(l.toString("utf8")) as JournalEvent).type)).toEqual([
    "RunStarted", "ParamsLogged", "MetricsLogged", "MetricsLogged", "MetricsLogged", "TagsSet", "RunEnded",
  ]);
});
afterAll(() => removeDir(template));

let dir: string;
beforeEach(() => {
  dir = tempDir("runelog-verify-");
  cpSync(template, dir, { recursive: true });
});
afterEach(() => removeDir(dir));

const damagedFile = () => join(dir, DAMAGED);
const write = (bytes: Buffer) => writeFileSync(damagedFile(), bytes);

/** The journal with a line added after the last one, encoded and chained the way the library would. */
function withExtraLine(body: string): Buffer {
  const last = JSON.parse(lines.at(-1)!.toString("utf8")) as JournalEvent;
  const { line } = encodeLine({ body }, last.seq + 1, last.crc);
  return Buffer.concat([original, Buffer.from(line, "utf8")]);
}

async function collect(iterable: AsyncIterable<JournalEvent>): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

function expectCorrupted(err: unknown, p: Problem): void {
  expect(err).toBeInstanceOf(JournalCorrupted);
  const e = err as JournalCorrupted;
  expect(e.code).toBe("JOURNAL_CORRUPTED");
  expect({ file: e.file, line: e.line, offset: e.offset, kind: e.kind }).toEqual({ file: DAMAGED, ...p });
  expect(e.message).toContain(DAMAGED);
  expect(e.message).toContain(`line ${p.line}`);
  expect(e.message).toContain(`offset ${p.offset}`);
}

/** verify() reports exactly `problems` in the damaged journal, which holds `events` good events; the other journals are clean. */
async function expectReport(problems: Problem[], ok: boolean, events: number) {
  const report = await new RuneLog(dir).verify();
  expect(report).toEqual({
    ok,
    journals: [
      { file: ".runelog/catalog.ndjson", events: 3, problems: [] },
      { file: DAMAGED, events, problems },
      { file: ".runelog/experiments/2.ndjson", events: 3, problems: [] },
    ],
    warnings: [],
  });
}

/** Every read of the damaged journal throws JournalCorrupted naming `p`; other journals still read. */
async function expectReadsThrow(p: Problem) {
  expectCorrupted(await caught(() => new RuneLog(dir).getRun(dmgRunId)), p);
  expectCorrupted(await caught(() => new RuneLog(dir).getExperimentRuns("1")), p);
  expectCorrupted(await caught(() => new RuneLog(dir).loadResults("dmg")), p);
  expectCorrupted(await caught(() => new RuneLog(dir).getExperimentSummaries()), p);
  const fresh = new RuneLog(dir);
  expect((await fresh.listExperiments()).map((e) => e.name)).toEqual(["Default", "dmg", "other"]);
  expect((await fresh.getExperimentRuns("2")).map((r) => r.runId)).toEqual([otherRunId]);
}

async function expectEventsThrow(p: Problem) {
  expectCorrupted(await caught(() => collect(new RuneLog(dir).events({ experiment: "dmg" }))), p);
  expectCorrupted(await caught(() => collect(new RuneLog(dir).events())), p);
}

/**
 * A tracker with onCorrupt "skip" reads past the reported lines: every event on a line not reported
 * shows, none shows twice, and nothing shows that is not a stored event.
 */
async function expectSkipReadsPast(problems: Problem[], stored: Buffer) {
  const storedLines = stored.toString("utf8").split("\n");
  const reported = new Set(problems.map((p) => p.line));
  const mustShow = storedLines.flatMap((text, i) => (text !== "" && !reported.has(i + 1) ? [(JSON.parse(text) as JournalEvent).id] : []));
  const skipping = new RuneLog({ path: dir, onCorrupt: "skip" });
  const shown = (await collect(skipping.events({ experiment: "dmg" }))).map((e) => e.id);
  for (const id of mustShow) expect(shown).toContain(id);
  expect(new Set(shown).size).toBe(shown.length);
  for (const id of shown) expect(ids).toContain(id);
  const run = await skipping.getRun(dmgRunId);
  expect(run).not.toBeNull();
  return { shown, run: run! };
}

/** Appending to this journal must fail with JournalCorrupted and change no byte of the store. */
async function expectAppendRefused(p: Problem) {
  const before = snapshotFiles(join(dir, ".runelog"));
  const t = new RuneLog(dir);
  expectCorrupted(await caught(() => t.startRun({ experimentName: "dmg", ...QUIET })), p);
  expect(snapshotFiles(join(dir, ".runelog"))).toEqual(before);
}

describe("damage inside the journal", () => {
  test("a flipped byte inside a line: bad-checksum at that line; skip reads the lines after it", async () => {
    const bytes = Buffer.from(original);
    const at = starts[3]! + 30; // inside the event id of line 4 (a MetricsLogged)
    expect(bytes.toString("latin1", starts[3]!, starts[3]! + 21)).toBe('{"seq":4,"v":1,"id":"');
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41; // another letter: still JSON, wrong checksum
    write(bytes);
    const p = { line: 4, offset: starts[3]!, kind: "bad-checksum" };
    await expectReport([p], false, 6);
    await expectReadsThrow(p);
    await expectEventsThrow(p);
    const { shown, run } = await expectSkipReadsPast([p], bytes);
    expect(shown).toEqual(ids.filter((_, i) => i !== 3));
    expect(run).toMatchObject({ status: "FINISHED", params: { lr: 0.01 }, tags: { stage: "done" }, metrics: { loss: 1 / 3 } });
    expect(await new RuneLog({ path: dir, onCorrupt: "skip" }).getMetricHistory(dmgRunId, "loss")).toEqual([
      expect.objectContaining({ step: 0, value: 1 }),
      expect.objectContaining({ step: 2, value: 1 / 3 }),
    ]);
  });

  test("a line that is no longer JSON: bad-json", async () => {
    const bytes = Buffer.from(original);
    bytes[starts[2]!] = 0x23; // '#' instead of the opening brace of line 3
    write(bytes);
    const p = { line: 3, offset: starts[2]!, kind: "bad-json" };
    await expectReport([p], false, 6);
    await expectReadsThrow(p);
    await expectEventsThrow(p);
    const { shown } = await expectSkipReadsPast([p], bytes);
    expect(shown).toEqual(ids.filter((_, i) => i !== 2));
  });

  test("a deleted line: broken-chain at the line that follows the gap", async () => {
    const bytes = Buffer.concat(lines.filter((_, i) => i !== 3));
    write(bytes);
    const p = { line: 4, offset: starts[3]!, kind: "broken-chain" };
    await expectReport([p], false, 6);
    await expectReadsThrow(p);
    await expectEventsThrow(p);
    const { shown, run } = await expectSkipReadsPast([p], bytes);
    expect(shown).toEqual(expect.arrayContaining(ids.filter((_, i) => i !== 3 && i !== 4)));
    expect(run.status).toBe("FINISHED");
  });

  test("a duplicated line: broken-chain at the copy; skip shows the event once", async () => {
    const bytes = Buffer.concat([...lines.slice(0, 4), lines[3]!, ...lines.slice(4)]);
    write(bytes);
    const p = { line: 5, offset: starts[4]!, kind: "broken-chain" };
    await expectReport([p], false, 7);
    await expectReadsThrow(p);
    await expectEventsThrow(p);
    const { shown } = await expectSkipReadsPast([p], bytes);
    expect(shown).toEqual(ids);
  });

  test("two swapped lines: broken-chain at both", async () => {
    const bytes = Buffer.concat([...lines.slice(0, 3), lines[4]!, lines[3]!, ...lines.slice(5)]);
    write(bytes);
    const problems = [
      { line: 4, offset: starts[3]!, kind: "broken-chain" },
      { line: 5, offset: starts[3]! + lines[4]!.length, kind: "broken-chain" },
    ];
    await expectReport(problems, false, 6); // one of the two swapped events is kept
    await expectReadsThrow(problems[0]!);
    await expectEventsThrow(problems[0]!);
    const { run } = await expectSkipReadsPast(problems, bytes);
    expect(run).toMatchObject({ status: "FINISHED", tags: { stage: "done" } });
  });

  test("damage in the middle does not stop later appends from chaining onto the intact last line", async () => {
    const bytes = Buffer.from(original);
    bytes[starts[3]! + 30] = bytes[starts[3]! + 30] === 0x41 ? 0x42 : 0x41;
    write(bytes);
    const t = new RuneLog({ path: dir, onCorrupt: "skip" });
    const run = await t.startRun({ experimentName: "dmg", ...QUIET });
    await run.end();
    const after = readFileSync(damagedFile());
    expect(after.subarray(0, bytes.length).equals(bytes)).toBe(true); // nothing before was touched
    await expectReport([{ line: 4, offset: starts[3]!, kind: "bad-checksum" }], false, 8);
    expect((await t.getExperimentRuns("1")).map((r) => r.runId)).toEqual([dmgRunId, run.runId]);
  });
});

describe("damage at the end of the journal", () => {
  const tornTails: Array<[string, Buffer]> = [
    ["zeros (a pre-allocated block never written)", Buffer.alloc(16)],
    ["garbage without a newline", Buffer.from('\u0007garbage{{ "seq":', "utf8")],
    ["half of a real line", lines_half()],
  ];
  function lines_half(): Buffer {
    return Buffer.from('{"seq":8,"v":1,"id":"01HWV5Z3J0M3Q8S6Y9T1R2P4KA","ts":"2024-', "utf8");
  }

  test.each(tornTails)("%s after the last line: a torn tail; ok stays true, reads ignore it, the next append repairs it", async (_label, tail) => {
    write(Buffer.concat([original, tail]));
    const p = { line: lines.length + 1, offset: original.length, kind: "torn-tail" };
    await expectReport([p], true, 7);
    const t = new RuneLog(dir);
    expect((await collect(t.events({ experiment: "dmg" }))).map((e) => e.id)).toEqual(ids);
    expect(await t.getRun(dmgRunId)).toMatchObject({ status: "FINISHED", tags: { stage: "done" } });

    const run = await t.startRun({ experimentName: "dmg", ...QUIET });
    const after = readFileSync(damagedFile());
    expect(after.subarray(0, original.length).equals(original)).toBe(true);
    const added = after.subarray(original.length).toString("utf8");
    expect(added.endsWith("\n")).toBe(true);
    expect(added.split("\n")).toHaveLength(2); // exactly one new line, the tail is gone
    expect(JSON.parse(added)).toMatchObject({ seq: lines.length + 1, prev: (JSON.parse(lines.at(-1)!.toString()) as JournalEvent).crc, type: "RunStarted", data: { runId: run.runId } });
    await run.end();
    await expectReport([], true, 9);
  });

  const badLastLines: Array<[string, Buffer]> = [
    ["garbage with a newline", Buffer.from("garbage{{ not an event\n", "utf8")],
    ["zeros with a newline", Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 10])],
  ];

  test.each(badLastLines)("%s after the last line: bad-json there; reads throw, skip reads the rest, appends refuse and change nothing", async (_label, tail) => {
    const bytes = Buffer.concat([original, tail]);
    write(bytes);
    const p = { line: lines.length + 1, offset: original.length, kind: "bad-json" };
    await expectReport([p], false, 7);
    await expectReadsThrow(p);
    await expectEventsThrow(p);
    const { shown } = await expectSkipReadsPast([p], bytes);
    expect(shown).toEqual(ids);
    await expectAppendRefused(p);
  });

  test("a flipped byte in the last line: bad-checksum; an append does not chain onto it and changes nothing", async () => {
    const bytes = Buffer.from(original);
    const at = starts[6]! + 30;
    bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
    write(bytes);
    const p = { line: 7, offset: starts[6]!, kind: "bad-checksum" };
    await expectReport([p], false, 6);
    await expectReadsThrow(p);
    await expectAppendRefused(p);
    // Appends through a tracker that skips damage for reads are refused just the same.
    const before = snapshotFiles(join(dir, ".runelog"));
    const skipping = new RuneLog({ path: dir, onCorrupt: "skip" });
    expectCorrupted(await caught(() => skipping.startRun({ experimentName: "dmg", ...QUIET })), p);
    expect(snapshotFiles(join(dir, ".runelog"))).toEqual(before);
    expect((await skipping.getRun(dmgRunId))!.status).toBe("RUNNING"); // its RunEnded was the damaged line
  });
});

describe("events this version cannot read (valid checksum and chain)", () => {
  const unreadable: Array<[string, string]> = [
    ["an unknown event type", `"v":1,"id":"01HWV5Z3J0M3Q8S6Y9T1R2P4KA","ts":"2024-05-01T12:00:00.000Z","type":"RunArchived","data":{"runId":"x"}`],
    ["a future schema version", `"v":2,"id":"01HWV5Z3J0M3Q8S6Y9T1R2P4KA","ts":"2024-05-01T12:00:00.000Z","type":"TagsSet","data":{"runId":"x","tags":{"a":"b"}}`],
  ];

  test.each(unreadable)("%s: unknown-event; reads of the journal throw, skip reads past it, appends chain on after it", async (_label, body) => {
    const bytes = withExtraLine(body);
    write(bytes);
    const p = { line: lines.length + 1, offset: original.length, kind: "unknown-event" };
    await expectReport([p], false, 7);
    await expectReadsThrow(p);
    const skipping = new RuneLog({ path: dir, onCorrupt: "skip" });
    expect(await skipping.getRun(dmgRunId)).toMatchObject({ status: "FINISHED", tags: { stage: "done" } });
    // The line itself is intact, so a writer may chain after it: the report stays the same.
    const run = await skipping.startRun({ experimentName: "dmg", ...QUIET });
    await run.end();
    await expectReport([p], false, 9);
    const lastTwo = readFileSync(damagedFile(), "utf8").trimEnd().split("\n").slice(-3).map((l) => JSON.parse(l) as JournalEvent);
    expect(lastTwo[1]).toMatchObject({ seq: lines.length + 2, prev: lastTwo[0]!.crc, type: "RunStarted" });
  });

  test.each(unreadable)("%s: events() treats it like every other read (throws by default, passes over it with skip)", async (_label, body) => {
    write(withExtraLine(body));
    const p = { line: lines.length + 1, offset: original.length, kind: "unknown-event" };
    await expectEventsThrow(p);
    const shown = (await collect(new RuneLog({ path: dir, onCorrupt: "skip" }).events({ experiment: "dmg" }))).map((e) => e.id);
    expect(shown).toEqual(ids);
  });
});
