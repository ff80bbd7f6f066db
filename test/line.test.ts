/**
 * The hot path's encoders against their plain definitions: a batch's lines laid out before the lock
 * and sealed under it equal the lines written one by one from the format's definition; event ids
 * are valid, strictly increasing ULIDs; a MetricsLogged event's data is serialized as JSON.stringify would.
 */
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { decodeTime, isValid } from "ulid";
import { draft, type EncodedNumber, metricsLoggedJson } from "../src/events.js";
import { GENESIS_HASH, layOutLines, sealLines } from "../src/store/line.js";

/** A line as the format defines it (src/store/line.ts), built the slow, obvious way. */
function definedLine(body: string, seq: number, prev: string): { line: string; crc: string } {
  const covered = `{"seq":${seq},${body},"prev":"${prev}"`;
  const crc = (crc32(Buffer.from(covered, "utf8")) >>> 0).toString(16).padStart(8, "0");
  return { line: `${covered},"crc":"${crc}"}\n`, crc };
}

function definedLines(bodies: string[], firstSeq: number, prev: string): { text: string; last: string } {
  let text = "";
  for (let i = 0; i < bodies.length; i++) {
    const { line, crc } = definedLine(bodies[i]!, firstSeq + i, prev);
    text += line;
    prev = crc;
  }
  return { text, last: prev };
}

const bodyArb = fc.string({ unit: "binary", maxLength: 40 }).map((s) => `"v":1,"id":"x","ts":"t","type":"TagsSet","data":${JSON.stringify({ note: s })}`);

describe("lines laid out before the lock, sealed under it", () => {
  test("equal the lines written one by one, for any bodies, first seq and prev", () => {
    fc.assert(
      fc.property(fc.array(bodyArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (bodies, firstSeq, prevNumber) => {
        const prev = prevNumber.toString(16).padStart(8, "0");
        const lines = layOutLines(bodies.map((body) => ({ body })), firstSeq);
        const last = sealLines(lines, firstSeq, prev);
        const expected = definedLines(bodies, firstSeq, prev);
        expect(lines.bytes.toString("utf8")).toBe(expected.text);
        expect(last).toBe(expected.last);
        expect(lines.ends[lines.ends.length - 1]).toBe(Buffer.byteLength(expected.text));
      }),
      { numRuns: 300 },
    );
  });

  test("a scratch buffer lent again and again gives the same lines, however the batches' sizes and characters vary", () => {
    const scratch = { buffer: Buffer.alloc(0) };
    fc.assert(
      fc.property(fc.array(bodyArb, { minLength: 0, maxLength: 40 }), fc.integer({ min: 1, max: 10 ** 9 }), (bodies, firstSeq) => {
        const lines = layOutLines(bodies.map((body) => ({ body })), firstSeq, scratch);
        const last = sealLines(lines, firstSeq, GENESIS_HASH);
        const expected = definedLines(bodies, firstSeq, GENESIS_HASH);
        expect(lines.bytes.toString("utf8")).toBe(expected.text);
        expect(last).toBe(expected.last);
      }),
      { numRuns: 300 },
    );
  });

  test("laid out for one first seq, sealed for another: right when the digits fit, refused when they do not", () => {
    const bodies = Array.from({ length: 10 }, (_, i) => ({ body: `"n":${i}` }));
    // Room for 95..104 (two digits, then three from the 6th line); 96..105 crosses one line earlier.
    expect(sealLines(layOutLines(bodies, 95), 96, GENESIS_HASH)).toBeNull();
    expect(sealLines(layOutLines(bodies, 95), 5, GENESIS_HASH)).toBeNull();
    // Room for 10..19 fits 20..29 and 80..89: same digit counts throughout.
    for (const first of [20, 80]) {
      const lines = layOutLines(bodies, 10);
      expect(sealLines(lines, first, GENESIS_HASH)).toBe(definedLines(bodies.map((b) => b.body), first, GENESIS_HASH).last);
      expect(lines.bytes.toString("utf8")).toBe(definedLines(bodies.map((b) => b.body), first, GENESIS_HASH).text);
    }
  });

  test("a sealed batch can be sealed again for another place (a retried write)", () => {
    const bodies = ["\"a\":1", "\"b\":\"ü€😀\""].map((body) => ({ body }));
    const lines = layOutLines(bodies, 7);
    sealLines(lines, 7, GENESIS_HASH);
    expect(sealLines(lines, 3, "deadbeef")).toBe(definedLines(bodies.map((b) => b.body), 3, "deadbeef").last);
    expect(lines.bytes.toString("utf8")).toBe(definedLines(bodies.map((b) => b.body), 3, "deadbeef").text);
  });
});

describe("event ids", () => {
  test("are valid ULIDs, strictly increasing, timed by their instant or the latest one before it", () => {
    let base = Date.now() + 10_000_000; // each run starts after every instant an earlier run used
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 200 }), fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }), (gaps, backwards) => {
        let at = (base += 10_000);
        let latest = 0;
        let previous = "";
        gaps.forEach((gap, i) => {
          at = backwards[i] ? at - gap : at + gap; // the clock may go back
          const { id } = draft("TagsSet", { runId: "r", tags: {} }, at);
          latest = Math.max(latest, at);
          expect(isValid(id)).toBe(true);
          expect(id > previous).toBe(true);
          expect(decodeTime(id)).toBe(latest);
          previous = id;
        });
      }),
    );
  });

  test("thousands in one millisecond stay strictly increasing across carries", () => {
    const at = Date.now() + 50_000_000;
    const ids = Array.from({ length: 5000 }, () => draft("TagsSet", { runId: "r", tags: {} }, at).id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => decodeTime(id) === at)).toBe(true);
  });
});

describe("MetricsLogged data", () => {
  const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, 2 ** 53, 5e-324, NaN, Infinity));
  const encoded: fc.Arbitrary<EncodedNumber> = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom<EncodedNumber>("NaN", "Infinity", "-Infinity", "-0"));
  const text = fc.string({ unit: "binary", maxLength: 12 }); // quotes, backslashes, controls, lone surrogates, digits-only keys

  test("is JSON.stringify's text byte for byte, for any run id, metric names, values, step and timestamp", () => {
    fc.assert(
      fc.property(text, fc.dictionary(text, encoded, { maxKeys: 6 }), anyNumber, anyNumber, (runId, metrics, step, timestamp) => {
        const data = { runId, metrics, step, timestamp };
        expect(metricsLoggedJson(data)).toBe(JSON.stringify(data));
        expect(metricsLoggedJson(data)).toBe(JSON.stringify(data)); // again: now from its caches
      }),
      { numRuns: 1000 },
    );
  });

  test("a timestamp or name met again after others is still right (the caches key on the value)", () => {
    const a = { runId: "r1", metrics: { loss: 0.5 }, step: 1, timestamp: 1_700_000_000_000 };
    const b = { runId: "r2", metrics: { "a\"b": -1.25e-8, acc: "NaN" as const }, step: 2, timestamp: 1_700_000_000_001 };
    for (const data of [a, b, a, b, a]) expect(metricsLoggedJson(data)).toBe(JSON.stringify(data));
    expect(draft("MetricsLogged", b).body).toContain(`"data":${JSON.stringify(b)}`);
  });
});
