/**
 * The JSON-lines splitter: records go to the sink, every other byte comes out unchanged and in
 * order, however the input is cut into chunks (fast-check property).
 */
import { PassThrough, Readable } from "node:stream";
import fc from "fast-check";
import { feedLines } from "../src/interop/feed.js";
import type { ActiveRun } from "../src/run.js";
import { LineSplitter, parsePythonJson, parseRecord, type RawRecord } from "../src/interop/lines.js";

async function run(chunks: Buffer[]): Promise<{ out: Buffer; records: Array<[number, RawRecord]>; lines: number }> {
  const out: Buffer[] = [];
  const records: Array<[number, RawRecord]> = [];
  const splitter = new LineSplitter({
    write: (b) => (out.push(Buffer.from(b)), true),
    drain: async () => {},
    record: (r, n) => void records.push([n, r]),
  });
  for (const c of chunks) await splitter.push(c);
  await splitter.end();
  return { out: Buffer.concat(out), records, lines: splitter.lines };
}

function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  chunks.push(bytes.subarray(from));
  return chunks.filter((c) => c.length > 0);
}

const recordLine = fc.record({ metrics: fc.dictionary(fc.constantFrom("a", "b", "c"), fc.integer()) , step: fc.nat(100) }, { requiredKeys: ["metrics"] }).map((r) => Buffer.from(JSON.stringify(r)));
const textLine = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))), // any bytes, not UTF-8 either
  fc.constantFrom('{"not": "a record"}', "{broken", "  {", "[1,2]", "", "\r", '{"metrics": {"a": 1}, "extra": 2}').map((s) => Buffer.from(s)),
);

describe("LineSplitter", () => {
  test("every non-record byte comes out in order, records in line order with their numbers, for any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), recordLine, textLine, fc.constantFrom("\n", "\r\n")), { maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.nat(2000), { maxLength: 12 }),
        async (lines, lastWithoutNewline, cuts) => {
          const parts: Buffer[] = [];
          const expectedOut: Buffer[] = [];
          const expectedRecords: Array<[number, unknown]> = [];
          lines.forEach(([isRecord, rec, text, eol], i) => {
            const last = i === lines.length - 1 && lastWithoutNewline;
            const line = Buffer.concat([isRecord ? rec : text, Buffer.from(last ? "" : eol)]);
            parts.push(line);
            if (isRecord) expectedRecords.push([i + 1, JSON.parse(rec.toString())]);
            else expectedOut.push(line);
          });
          const input = Buffer.concat(parts);
          const { out, records, lines: count } = await run(cut(input, cuts));
          expect(out.equals(Buffer.concat(expectedOut))).toBe(true);
          expect(records).toEqual(expectedRecords);
          const lastEmpty = lastWithoutNewline && lines.length > 0 && parts.at(-1)!.length === 0;
          expect(count).toBe(lines.length - (lastEmpty ? 1 : 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a long text line split across many chunks is passed through without being held", async () => {
    const line = Buffer.alloc(1_000_000, 0x61);
    const { out } = await run(cut(Buffer.concat([line, Buffer.from("\n")]), Array.from({ length: 50 }, (_, i) => i * 20_000 + 7)));
    expect(out.length).toBe(1_000_001);
  });

  test("a record line cut anywhere is still one record", async () => {
    const line = Buffer.from('{"params": {"lr": 0.1}, "metrics": {"loss": 1.5}, "step": 2}\n');
    for (let i = 1; i < line.length; i++) {
      const { out, records } = await run([line.subarray(0, i), line.subarray(i)]);
      expect(out.length).toBe(0);
      expect(records).toEqual([[1, { params: { lr: 0.1 }, metrics: { loss: 1.5 }, step: 2 }]]);
    }
  });
});

describe("records", () => {
  test("Python's bare NaN, Infinity and -Infinity are read as numbers, not inside strings", () => {
    const r = parseRecord(Buffer.from('{"metrics": {"a": NaN, "b": Infinity, "c": -Infinity}, "tags": {"t": "NaN Infinity"}}'))!;
    expect(Number.isNaN((r.metrics as Record<string, number>).a)).toBe(true);
    expect((r.metrics as Record<string, number>).b).toBe(Infinity);
    expect((r.metrics as Record<string, number>).c).toBe(-Infinity);
    expect(r.tags).toEqual({ t: "NaN Infinity" });
    expect(parsePythonJson('{"a": NaNx}')).toBeUndefined();
  });

  test("a JSON object with a key outside the protocol, or without a logged key, is not a record", () => {
    expect(parseRecord(Buffer.from('{"metrics": {"a": 1}, "epoch": 3}'))).toBeNull();
    expect(parseRecord(Buffer.from('{"step": 3}'))).toBeNull();
    expect(parseRecord(Buffer.from('{"tags": {"a": "b"}}'))).toEqual({ tags: { a: "b" } });
  });
});

describe("feedLines", () => {
  test("a failed group commit is reported for every line it held, a bad line for itself", async () => {
    // A run whose journal commits each turn's calls together and fails them together (a full disk),
    // as the real group commit does: every call of a turn gets the same promise.
    let shared: Promise<void> | null = null;
    const groupCall = () => {
      if (!shared) {
        shared = new Promise<void>((_, reject) => setImmediate(() => reject(new Error("no space left on device"))));
        void shared.catch(() => {});
        setImmediate(() => (shared = null));
      }
      return shared;
    };
    const run = { logMetric: groupCall, logMetrics: groupCall, logParams: groupCall, setTags: groupCall } as unknown as ActiveRun;
    const warnings: string[] = [];
    const input = Readable.from([Buffer.from('{"metrics": {"a": 1}}\n{"metrics": {"b\\u0001": 2}}\ntext\n{"metrics": {"a": 3}, "params": {"p": 1}}\n{"metrics": {"a": 4}}\n')]);
    const out = new PassThrough();
    const report = await feedLines(input, run, { out, warn: (m) => warnings.push(m), cwd: "." });
    expect(warnings.filter((w) => w.includes("no space left on device")).sort()).toEqual(
      ["runelog: line 1: no space left on device", "runelog: line 4: no space left on device", "runelog: line 4: no space left on device", "runelog: line 5: no space left on device"],
    );
    expect(warnings.filter((w) => !w.includes("no space left on device"))).toEqual([expect.stringMatching(/^runelog: line 2: .*control characters/)]);
    expect(report).toEqual({ lines: 5, records: 4, rejected: 5 });
  });
});
