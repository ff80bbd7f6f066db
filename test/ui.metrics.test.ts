/** GET /api/runs/:runId/metrics/:key: every point up to `buckets`, else [x, last, min, max] per bucket of x. */
import fc from "fast-check";
import type { UiApp } from "../src/ui/server/app.js";
import { series } from "../src/ui/server/routes/metrics.js";
import type { MetricPoint } from "../src/index.js";
import { openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, getJson, uiApp } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
beforeEach(() => {
  store = openStore("runelog-ui-metrics-");
  ui = uiApp(store.tracker);
});
afterEach(() => {
  ui.close();
  store.done();
});

const points = (values: number[], t0 = 1_700_000_000_000): MetricPoint[] => values.map((value, step) => ({ value, step, timestamp: t0 + step * 10 }));

test("up to `buckets` points: every point, as [x, v, v, v]", () => {
  const s = series(points([3, 1, 2]), "step", -Infinity, Infinity, 3);
  expect(s).toEqual({ total: 3, bucketed: false, points: [[0, 3, 3, 3], [1, 1, 1, 1], [2, 2, 2, 2]], nanAt: [] });
});

test("bucketed: one entry per bucket holding points, a spike survives as the bucket's max", () => {
  const values = Array.from({ length: 1000 }, () => 1);
  values[537] = 1e9;
  values[538] = -5;
  const s = series(points(values), "step", -Infinity, Infinity, 10);
  expect(s.bucketed).toBe(true);
  expect(s.total).toBe(1000);
  expect(s.points).toHaveLength(10);
  const spiky = s.points.find(([, , , max]) => max === 1e9)!;
  expect(spiky[2]).toBe(-5);
  expect(spiky[0]).toBeGreaterThanOrEqual(537);
  // x of each entry is its last point's, and the entries are in x order
  expect(s.points.map((p) => p[0])).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899, 999]);
  expect(s.points[9]![1]).toBe(1);
});

test("NaN and ±Infinity are kept: ±Infinity in min/max, NaN listed in nanAt, an all-NaN bucket is NaN", () => {
  const values = [1, NaN, 2, 3, Infinity, 4, NaN, NaN, -Infinity, 5];
  const s = series(points(values), "step", -Infinity, Infinity, 5);
  expect(s.points).toEqual([
    [1, NaN, 1, 1],
    [3, 3, 2, 3],
    [5, 4, 4, Infinity],
    [7, NaN, NaN, NaN],
    [9, 5, -Infinity, 5],
  ]);
  expect(s.nanAt).toEqual([1, 7]);
  const raw = series(points([NaN, 1]), "step", -Infinity, Infinity, 10);
  expect(raw.nanAt).toEqual([0]);
});

test("property: every point lands in exactly one entry; entries bound their points; last is the last point's value", () => {
  fc.assert(
    fc.property(fc.array(fc.double({ noNaN: false }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (values, buckets) => {
      const pts = points(values);
      const s = series(pts, "step", -Infinity, Infinity, buckets);
      expect(s.total).toBe(values.length);
      expect(s.points.length).toBeLessThanOrEqual(buckets);
      if (!s.bucketed) return;
      let i = 0;
      for (const [x, last, min, max] of s.points) {
        const inBucket: number[] = [];
        while (i < pts.length && pts[i]!.step <= x) inBucket.push(pts[i++]!.value);
        expect(inBucket.length).toBeGreaterThan(0);
        expect(Object.is(last, inBucket[inBucket.length - 1])).toBe(true);
        const numbers = inBucket.filter((v) => !Number.isNaN(v));
        if (numbers.length === 0) expect([min, max].every(Number.isNaN)).toBe(true);
        else {
          expect(min).toBe(Math.min(...numbers));
          expect(max).toBe(Math.max(...numbers));
        }
        expect(s.nanAt.includes(x)).toBe(inBucket.some(Number.isNaN));
      }
      expect(i).toBe(pts.length);
    }),
  );
});

test("the route: x=step|time, from/to for a zoom, buckets; NaN and Infinity sent as strings", async () => {
  const run = await store.tracker.startRun({ experimentName: "m", ...QUIET });
  for (let step = 0; step < 100; step++) await run.logMetric("train/loss", step === 50 ? Infinity : step === 60 ? NaN : step, { step, timestamp: 1_700_000_000_000 + step * 1000 });
  await run.end();
  const all = await getJson(ui, `/api/runs/${run.runId}/metrics/train%2Floss`);
  expect(all).toMatchObject({ runId: run.runId, key: "train/loss", total: 100, bucketed: false });
  expect(all.points[50]).toEqual([50, "Infinity", "Infinity", "Infinity"]);
  expect(all.points[60]).toEqual([60, "NaN", "NaN", "NaN"]);
  expect(all.nanAt).toEqual([60]);
  const slash = await getJson(ui, `/api/runs/${run.runId}/metrics/train/loss?buckets=10`);
  expect(slash).toMatchObject({ total: 100, bucketed: true });
  expect(slash.points).toHaveLength(10);
  expect(slash.points[5]).toEqual([59, 59, 51, "Infinity"]); // steps 50–59: 50 is the Infinity
  const zoom = await getJson(ui, `/api/runs/${run.runId}/metrics/train%2Floss?from=10&to=19&buckets=10`);
  expect(zoom).toMatchObject({ total: 10, bucketed: false });
  expect(zoom.points.map((p: number[]) => p[0])).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const byTime = await getJson(ui, `/api/runs/${run.runId}/metrics/train%2Floss?x=time&from=${new Date(1_700_000_000_000 + 90_000).toISOString()}`);
  expect(byTime.points.map((p: number[]) => p[0])).toEqual(Array.from({ length: 10 }, (_, i) => 1_700_000_000_000 + (90 + i) * 1000));
});

test("bad parameters are 400 naming them; an unknown run is 404", async () => {
  const run = await store.tracker.startRun({ experimentName: "m", ...QUIET });
  await run.logMetric("loss", 1);
  for (const [query, name] of [["x=epoch", "x"], ["buckets=0", "buckets"], ["buckets=abc", "buckets"], ["from=abc", "from"], ["from=5&to=1", "from"], ["buckets=1&buckets=2", "buckets"]]) {
    const err = await errorOf(await call(ui, `/api/runs/${run.runId}/metrics/loss?${query}`));
    expect(err).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(err.message).toContain(name);
  }
  expect(await errorOf(await call(ui, `/api/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/metrics/loss`))).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
});
