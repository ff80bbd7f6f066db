/** The front end's pure parts, without a browser: TensorBoard's smoothing, the CSV reader, filter completion. */
import fc from "fast-check";
import { debiasedEma } from "../src/ui/web/charts/ema.js";
import { parseCsv } from "../src/ui/web/run/csv.js";
import { suggestions, wordAt } from "../src/ui/web/runs/complete.js";

describe("debiasedEma (TensorBoard's smoothing)", () => {
  test("the first smoothed value is the first value (debiased, not pulled toward 0)", () => {
    expect(debiasedEma([10, 10, 10], 0.9)).toEqual([10, 10, 10].map((v) => expect.closeTo(v, 10)));
  });

  test("matches TensorBoard's formula on a small series", () => {
    const w = 0.6;
    const values = [1, 3, 2];
    // last_i = w·last_{i-1} + (1-w)·v_i from 0, divided by 1 - w^i
    const l1 = 0.4 * 1, l2 = w * l1 + 0.4 * 3, l3 = w * l2 + 0.4 * 2;
    expect(debiasedEma(values, w)).toEqual([l1 / (1 - w), l2 / (1 - w * w), l3 / (1 - w ** 3)].map((v) => expect.closeTo(v, 12)));
  });

  test("weight 0 leaves values as they are; NaN, ±Infinity and gaps pass through without disturbing the average", () => {
    expect(debiasedEma([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const out = debiasedEma([4, NaN, null, Infinity, -Infinity, 4], 0.5);
    expect(out[0]).toBeCloseTo(4);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeNull();
    expect(out[3]).toBe(Infinity);
    expect(out[4]).toBe(-Infinity);
    expect(out[5]).toBeCloseTo(4);
  });

  test("smoothed values stay within the range of the finite values seen so far", () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 0.99, noNaN: true }), (values, w) => {
      const out = debiasedEma(values, w);
      values.forEach((_, i) => {
        const seen = values.slice(0, i + 1);
        const lo = Math.min(...seen), hi = Math.max(...seen);
        const tolerance = 1e-6 * Math.max(1, Math.abs(lo), Math.abs(hi));
        expect(out[i]!).toBeGreaterThanOrEqual(lo - tolerance);
        expect(out[i]!).toBeLessThanOrEqual(hi + tolerance);
      });
    }));
  });
});

describe("parseCsv", () => {
  test("quoted fields, doubled quotes, separators and newlines inside quotes, CRLF", () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",2\n')).toEqual([["a", "b"], ["x, y", 'say "hi"'], ["multi\nline", "2"]]);
  });
  test("tab-separated, and a last line without a newline", () => {
    expect(parseCsv("a\tb\n1\t2", "\t")).toEqual([["a", "b"], ["1", "2"]]);
  });
});

describe("filter completion", () => {
  const keys = { params: ["lr", "batch size"], metrics: ["val_accuracy", "val_loss", "train_loss"], tags: ["stage"] };

  test("the word under the cursor", () => {
    expect(wordAt("metrics.acc > 1 and params.l", 28)).toEqual({ start: 20, word: "params.l" });
  });

  test("kinds, then the keys the store knows, with keys that need it quoted", () => {
    expect(suggestions("me", keys)).toEqual(["metrics."]);
    expect(suggestions("metrics.val", keys)).toEqual(["metrics.val_accuracy", "metrics.val_loss"]);
    expect(suggestions("param.b", keys)).toEqual(["params.`batch size`"]);
    expect(suggestions("attributes.st", keys)).toEqual(["attributes.status", "attributes.start_time"]);
    expect(suggestions("an", keys)).toEqual(["and"]);
    expect(suggestions("", keys)).toEqual([]);
  });
});
