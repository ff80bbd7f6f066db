/**
 * The search language on its own: parsing (and its errors, with carets), printing, and what every
 * operator means on every kind of identifier, checked on plain run objects; fast-check properties
 * compare the compiled predicate with a direct evaluator of the AST and print→parse round trips.
 */
import fc from "fast-check";
import { InvalidInput } from "../src/errors.js";
import { compileFilter, type Expr, type Ident, type Literal, orderRuns, parseFilter, parseOrderBy, printFilter, printOrderBy } from "../src/query/index.js";
import { evaluate, plainAccessors, plainRun, type PlainRun } from "./helpers/query.js";

const matches = (filter: string, runs: PlainRun[]) => runs.filter(compileFilter(parseFilter(filter), plainAccessors)).map((r) => r.runId);

function errorOf(fn: () => unknown): InvalidInput {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    return err as InvalidInput;
  }
  throw new Error("expected InvalidInput, nothing was thrown");
}

describe("errors say what was expected, where, with a caret", () => {
  test("the API's example, exactly", () => {
    const err = errorOf(() => parseFilter("metrics.acc > and params.lr = 1"));
    expect(err.message).toBe("filter: expected a value after '>' at column 15\n  metrics.acc > and params.lr = 1\n                ^");
    expect(err.argument).toBe("filter");
    expect(err.code).toBe("INVALID_INPUT");
  });

  test("at the end of the text the caret stands just past it", () => {
    expect(errorOf(() => parseFilter("metrics.acc >")).message).toBe("filter: expected a value after '>' at column 14\n  metrics.acc >\n               ^");
  });

  test("columns count characters, not UTF-16 units", () => {
    const err = errorOf(() => parseFilter("params.😀 = 'x' and"));
    expect(err.message).toMatch(/at column 19\n/); // 18 characters (20 UTF-16 units): the caret stands at the 19th
    expect(err.message.split("\n")[2]).toBe(`  ${" ".repeat(18)}^`);
  });

  test("orderBy errors name orderBy", () => {
    const err = errorOf(() => parseOrderBy("metrics.acc DOWN"));
    expect(err.message).toBe("orderBy: expected ASC, DESC or the end of the entry, got 'DOWN' at column 13\n  metrics.acc DOWN\n              ^");
    expect(err.argument).toBe("orderBy");
  });

  test("an unknown attribute, a string for a metric, a number for a tag, LIKE on a metric", () => {
    expect(errorOf(() => parseFilter("attributes.run_name = 'x'")).message).toMatch(/^filter: unknown attribute 'run_name': expected one of run_id \(runId\).* at column 12\n/);
    expect(errorOf(() => parseFilter("metrics.acc = '0.9'")).message).toMatch(/^filter: metrics.acc is a metric: expected a number .* at column 15\n/);
    expect(errorOf(() => parseFilter("tags.stage = 3")).message).toMatch(/^filter: tags.stage is a tag: expected a 'string', not a number at column 14\n/);
    expect(errorOf(() => parseFilter("metrics.acc LIKE '0.%'")).message).toMatch(/^filter: LIKE works on params, tags and text attributes, not on metrics.acc at column 13\n/);
    expect(errorOf(() => parseFilter("attributes.start_time LIKE '2026%'")).message).toMatch(/LIKE works on/);
    expect(errorOf(() => parseFilter("attributes.start_time > 'yesterday'")).message).toMatch(/is a time: expected epoch milliseconds or an ISO 8601 'string'/);
  });

  const MALFORMED = [
    "metrics.acc > 'unclosed",
    'params.opt = "unclosed',
    "metrics.`unclosed > 1",
    "params.x IN ()",
    "params.x IN (1,)",
    "params.x IN (1 2)",
    "params.x IN 1, 2",
    "params.x IN ('a'",
    "metrics. > 1",
    "metrics. and",
    "metrics.`` > 1",
    "metrics.acc > 1 AND",
    "metrics.acc > 1 OR",
    "AND metrics.acc > 1",
    "metrics.acc ~ 1",
    "metrics.acc == 1",
    "metrics.acc => 1",
    "metrics.acc ! 1",
    "metrics.acc >",
    "metrics.acc",
    "acc > 1",
    "foo.acc > 1",
    "(metrics.acc > 1",
    "metrics.acc > 1)",
    "()",
    "NOT",
    "NOT (",
    "metrics.acc > 1 metrics.loss < 2",
    "params.x IS 'a'",
    "params.x IS NOT",
    "params.x NOT = 1",
    "params.x LIKE 5",
    "params.x LIKE",
    "metrics.acc > abc",
    "metrics.acc > 1.2.3",
    "metrics.acc > 0x10",
    "metrics.acc = '0.9'",
    "tags.t > 1",
    "attributes.status = 1",
    "attributes.color = 'red'",
    "attributes.start_time > 'not a date'",
    "metrics.acc ILIKE 'a%'",
    "params.x = ,",
    "metrics.acc > 1 AND AND metrics.acc < 2",
    "metrics.acc BETWEEN 1 AND 2",
    "'metrics.acc' > 1",
    "`metrics`.acc > 1",
    "metrics.acc > 1 ;",
    "metrics.\"\" > 1",
    "params.a = 1 OR (",
  ];

  test.each(MALFORMED)("malformed: %s", (filter) => {
    const err = errorOf(() => parseFilter(filter));
    expect(err.message).toMatch(/^filter: .+ at column \d+\n {2}.*\n {2} *\^$/);
    const column = Number(/at column (\d+)/.exec(err.message)![1]);
    expect(column).toBeGreaterThanOrEqual(1);
    expect(column).toBeLessThanOrEqual([...filter].length + 1);
  });

  test("too many conditions or levels are refused before anything recurses deeply", () => {
    const many = Array.from({ length: 1001 }, (_, i) => `metrics.m${i} > 0`).join(" OR ");
    expect(errorOf(() => parseFilter(many)).message).toMatch(/^filter: expected at most 1000 conditions at column \d+\n/);
    expect(parseFilter(Array.from({ length: 1000 }, (_, i) => `metrics.m${i} > 0`).join(" OR "))).not.toBeNull();
    expect(errorOf(() => parseFilter("(".repeat(5000) + "metrics.a > 1" + ")".repeat(5000))).message).toMatch(/^filter: expected at most 100 levels of NOT and parentheses at column 101\n/);
    expect(errorOf(() => parseFilter("NOT ".repeat(200) + "metrics.a > 1")).message).toMatch(/levels of NOT/);
    const deep = "(".repeat(99) + "metrics.a > 1" + ")".repeat(99);
    expect(matches(deep, [plainRun({ metrics: { a: 2 } })])).toHaveLength(1);
  });

  test(`there are at least 30 malformed filters (${MALFORMED.length})`, () => expect(MALFORMED.length).toBeGreaterThanOrEqual(30));

  test("any text at all either parses or throws InvalidInput, never another error", () => {
    const alphabet = fc.constantFrom(..."metrics.params.tags.attributes.acc lr ><=!()'\"`,%_ AND OR NOT IN IS NULL LIKE ILIKE 1 0.5 -Infinity NaN é😀\t".split(""), " AND ", " or ", " not ", "metrics.", "params.", " IN (", ")", "'a'", " IS ", " NULL");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }).map((a) => a.join("")), (text) => {
        try {
          parseFilter(text);
        } catch (err) {
          if (!(err instanceof InvalidInput)) throw err;
          expect(err.message.startsWith("filter: ")).toBe(true);
        }
        try {
          parseOrderBy(text);
        } catch (err) {
          if (!(err instanceof InvalidInput)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
        try {
          parseFilter(text);
        } catch (err) {
          if (!(err instanceof InvalidInput)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("parsing", () => {
  test("keywords in any case, precedence AND over OR, left to right", () => {
    const a = parseFilter("metrics.a = 1 OR metrics.b = 2 AND metrics.c = 3");
    const b = parseFilter("metrics.a = 1 or (metrics.b = 2 aNd metrics.c = 3)");
    expect(a).toEqual(b);
    expect(a!.op).toBe("or");
    expect(printFilter(a)).toBe("metrics.a = 1 OR metrics.b = 2 AND metrics.c = 3");
    expect(printFilter(parseFilter("(metrics.a = 1 OR metrics.b = 2) AND metrics.c = 3"))).toBe("(metrics.a = 1 OR metrics.b = 2) AND metrics.c = 3");
  });

  test("kind aliases, MLflow's and camelCase attribute names, <> as !=", () => {
    expect(parseFilter("metric.a <> 1")).toEqual(parseFilter("metrics.a != 1"));
    expect(parseFilter("param.a = 'x' and parameters.b = 'y'")).toEqual(parseFilter("params.a = 'x' AND params.b = 'y'"));
    expect(parseFilter("tag.a = 'x'")).toEqual(parseFilter("tags.a = 'x'"));
    expect(parseFilter("attribute.start_time > 5")).toEqual(parseFilter("attributes.startTime > 5"));
    expect(parseFilter("attr.run_id = 'x' and run.parent_run_id IS NULL")).toEqual(parseFilter("attributes.runId = 'x' AND attributes.parentRunId IS NULL"));
  });

  test("backtick and double-quoted keys, unicode keys, quotes escaped in strings", () => {
    expect(parseFilter("metrics.`val acc` > 1")).toEqual({ op: "cmp", ident: { kind: "metrics", key: "val acc" }, cmp: ">", value: { type: "number", value: 1 } });
    expect(parseFilter('params."a`b" = \'it\'\'s\'')).toEqual({ op: "cmp", ident: { kind: "params", key: "a`b" }, cmp: "=", value: { type: "string", value: "it's" } });
    expect(parseFilter("params.学习率 = 'x\\'y'")).toEqual({ op: "cmp", ident: { kind: "params", key: "学习率" }, cmp: "=", value: { type: "string", value: "x'y" } });
    expect(parseFilter('tags.t = "double"')).toEqual({ op: "cmp", ident: { kind: "tags", key: "t" }, cmp: "=", value: { type: "string", value: "double" } });
    expect(parseFilter("metrics.a>-Infinity")).toEqual({ op: "cmp", ident: { kind: "metrics", key: "a" }, cmp: ">", value: { type: "number", value: -Infinity } });
    expect(parseFilter("metrics.a = nan")).toEqual({ op: "cmp", ident: { kind: "metrics", key: "a" }, cmp: "=", value: { type: "number", value: NaN } });
  });

  test("an empty filter keeps every run", () => {
    expect(parseFilter("")).toBeNull();
    expect(parseFilter("  \n ")).toBeNull();
  });

  test("orderBy entries", () => {
    expect(parseOrderBy("metrics.acc")).toEqual({ ident: { kind: "metrics", key: "acc" }, descending: false });
    expect(parseOrderBy("metrics.`val acc` desc")).toEqual({ ident: { kind: "metrics", key: "val acc" }, descending: true });
    expect(parseOrderBy("attributes.start_time ASC")).toEqual({ ident: { kind: "attributes", key: "startTime" }, descending: false });
    expect(printOrderBy(parseOrderBy("params.lr desc"))).toBe("params.lr DESC");
  });
});

describe("what each operator means", () => {
  const nan = plainRun({ metrics: { acc: NaN } });
  const inf = plainRun({ metrics: { acc: Infinity, loss: -Infinity } });
  const mid = plainRun({ metrics: { acc: 0.5, loss: 0.2 }, params: { lr: 0.01, opt: "adam", n: "32", flag: true, arr: [1, 2] }, tags: { stage: "final", 学: "ok" } });
  const low = plainRun({ metrics: { acc: 0.1 }, params: { lr: "0.1", opt: "SGD", n: 64 }, tags: { stage: "draft" }, status: "FAILED", parentRunId: "parent1", endTime: "2026-06-01T00:00:00.000Z" });
  const none = plainRun({});
  const all = [nan, inf, mid, low, none];
  const ids = (...runs: PlainRun[]) => runs.map((r) => r.runId);

  test("metrics: comparisons, NaN and ±Infinity", () => {
    expect(matches("metrics.acc > 0.2", all)).toEqual(ids(inf, mid));
    expect(matches("metrics.acc >= 0.5", all)).toEqual(ids(inf, mid));
    expect(matches("metrics.acc < 0.5", all)).toEqual(ids(low));
    expect(matches("metrics.acc <= 0.5", all)).toEqual(ids(mid, low));
    expect(matches("metrics.acc = 0.5", all)).toEqual(ids(mid));
    expect(matches("metrics.acc != 0.5", all)).toEqual(ids(nan, inf, low)); // `none` lacks acc: false
    expect(matches("metrics.acc = NaN", all)).toEqual(ids(nan));
    expect(matches("metrics.acc != NaN", all)).toEqual(ids(inf, mid, low));
    expect(matches("metrics.acc > NaN", all)).toEqual([]);
    expect(matches("metrics.acc = Infinity", all)).toEqual(ids(inf));
    expect(matches("metrics.loss = -Infinity", all)).toEqual(ids(inf));
    expect(matches("metrics.loss < -1e308", all)).toEqual(ids(inf));
    expect(matches("metrics.acc IN (0.1, NaN)", all)).toEqual(ids(nan, low));
    expect(matches("metrics.acc NOT IN (0.1, NaN)", all)).toEqual(ids(inf, mid));
    expect(matches("metrics.acc IS NULL", all)).toEqual(ids(none));
    expect(matches("metrics.acc IS NOT NULL", all)).toEqual(ids(nan, inf, mid, low));
  });

  test("params: numbers compare with numbers and numeric strings, strings with the text", () => {
    expect(matches("params.lr = 0.01", all)).toEqual(ids(mid));
    expect(matches("params.lr = '0.01'", all)).toEqual(ids(mid)); // MLflow's way: the text of the number
    expect(matches("params.lr = 0.1", all)).toEqual(ids(low)); // the string "0.1" is numeric
    expect(matches("params.lr < 0.05", all)).toEqual(ids(mid));
    expect(matches("params.n > 40", all)).toEqual(ids(low));
    expect(matches("params.n >= 32", all)).toEqual(ids(mid, low));
    expect(matches("params.n <= 32", all)).toEqual(ids(mid));
    expect(matches("params.opt = 1", all)).toEqual([]); // not a number: never equal…
    expect(matches("params.opt != 1", all)).toEqual(ids(mid, low)); // …so != holds, on runs that have it
    expect(matches("params.opt > 1", all)).toEqual([]);
    expect(matches("params.opt = 'adam'", all)).toEqual(ids(mid));
    expect(matches("params.opt != 'adam'", all)).toEqual(ids(low));
    expect(matches("params.opt > 'a'", all)).toEqual(ids(mid)); // "SGD" < "a" by code point
    expect(matches("params.flag = 'true'", all)).toEqual(ids(mid));
    expect(matches("params.arr = '[1,2]'", all)).toEqual(ids(mid));
    expect(matches("params.opt IN ('adam', 'rmsprop')", all)).toEqual(ids(mid));
    expect(matches("params.n IN (64, 'x')", all)).toEqual(ids(low));
    expect(matches("params.n NOT IN (64)", all)).toEqual(ids(mid));
    expect(matches("params.opt LIKE 'a%'", all)).toEqual(ids(mid));
    expect(matches("params.opt LIKE 'A%'", all)).toEqual([]);
    expect(matches("params.opt ILIKE 's_d'", all)).toEqual(ids(low));
    expect(matches("params.opt NOT LIKE '%a%'", all)).toEqual(ids(low));
    expect(matches("params.opt NOT ILIKE '%G%'", all)).toEqual(ids(mid));
    expect(matches("params.lr LIKE '0.0%'", all)).toEqual(ids(mid));
    expect(matches("params.opt IS NULL", all)).toEqual(ids(nan, inf, none));
    expect(matches("params.opt IS NOT NULL", all)).toEqual(ids(mid, low));
  });

  test("tags: strings, unicode and backtick keys", () => {
    expect(matches("tags.stage = 'final'", all)).toEqual(ids(mid));
    expect(matches("tags.stage != 'final'", all)).toEqual(ids(low));
    expect(matches("tags.stage < 'e'", all)).toEqual(ids(low));
    expect(matches("tags.stage <= 'draft'", all)).toEqual(ids(low));
    expect(matches("tags.stage > 'draft'", all)).toEqual(ids(mid));
    expect(matches("tags.stage >= 'draft'", all)).toEqual(ids(mid, low));
    expect(matches("tags.stage IN ('final', 'x')", all)).toEqual(ids(mid));
    expect(matches("tags.stage NOT IN ('final')", all)).toEqual(ids(low));
    expect(matches("tags.stage LIKE 'f%l'", all)).toEqual(ids(mid));
    expect(matches("tags.stage ILIKE 'DRAF_'", all)).toEqual(ids(low));
    expect(matches("tags.学 = 'ok'", all)).toEqual(ids(mid));
    expect(matches("tags.`学` = 'ok'", all)).toEqual(ids(mid));
    expect(matches('tags."stage" IS NULL', all)).toEqual(ids(nan, inf, none));
  });

  test("attributes: ids, status, parent, times as epoch ms or ISO", () => {
    expect(matches(`attributes.run_id = '${mid.runId}'`, all)).toEqual(ids(mid));
    expect(matches(`attributes.runId IN ('${mid.runId}', '${low.runId}')`, all)).toEqual(ids(mid, low));
    expect(matches("attributes.status = 'FAILED'", all)).toEqual(ids(low));
    expect(matches("attributes.status != 'FAILED'", all)).toEqual(ids(nan, inf, mid, none));
    expect(matches("attributes.status LIKE 'FIN%'", all)).toEqual(ids(nan, inf, mid, none));
    expect(matches("attributes.status ILIKE 'failed'", all)).toEqual(ids(low));
    expect(matches("attributes.experiment_id = '1'", all)).toEqual(ids(...all));
    expect(matches("attributes.parent_run_id IS NULL", all)).toEqual(ids(nan, inf, mid, none));
    expect(matches("attributes.parentRunId = 'parent1'", all)).toEqual(ids(low));
    expect(matches("attributes.parent_run_id != 'x'", all)).toEqual(ids(low)); // missing parent: false
    const t = Date.parse(mid.startTime);
    expect(matches(`attributes.start_time = ${t}`, all)).toEqual(ids(mid));
    expect(matches(`attributes.start_time > ${t}`, all)).toEqual(ids(low, none));
    expect(matches(`attributes.startTime >= '${mid.startTime}'`, all)).toEqual(ids(mid, low, none));
    expect(matches(`attributes.start_time < '${mid.startTime}'`, all)).toEqual(ids(nan, inf));
    expect(matches(`attributes.start_time <= ${t}`, all)).toEqual(ids(nan, inf, mid));
    expect(matches(`attributes.start_time IN (${t}, '${low.startTime}')`, all)).toEqual(ids(mid, low));
    expect(matches("attributes.end_time IS NOT NULL", all)).toEqual(ids(low));
    expect(matches("attributes.end_time > '2026-05-01'", all)).toEqual(ids(low));
    expect(matches("attributes.end_time < '2026-05-01'", all)).toEqual([]);
  });

  test("NOT of a missing key keeps the runs without it; != does not", () => {
    expect(matches("params.opt != 'adam'", all)).toEqual(ids(low));
    expect(matches("NOT params.opt = 'adam'", all)).toEqual(ids(nan, inf, low, none));
    expect(matches("not not params.opt = 'adam'", all)).toEqual(ids(mid));
    expect(matches("NOT metrics.acc > 0.2", all)).toEqual(ids(nan, low, none));
    expect(matches("NOT params.opt NOT IN ('adam')", all)).toEqual(ids(nan, inf, mid, none));
  });

  test("precedence: a OR b AND c is a OR (b AND c)", () => {
    expect(matches("tags.stage = 'final' OR metrics.acc = 0.5 AND params.opt = 'SGD'", all)).toEqual(ids(mid));
    expect(matches("tags.stage = 'final' OR (metrics.acc = 0.5 AND params.opt = 'SGD')", all)).toEqual(ids(mid));
    expect(matches("(tags.stage = 'final' OR metrics.acc = 0.5) AND params.opt = 'SGD'", all)).toEqual([]);
    expect(matches("metrics.acc = 0.1 and params.opt = 'SGD' OR metrics.acc = NaN", all)).toEqual(ids(nan, low));
    expect(matches("METRICS.acc = 0.1 aNd params.opt = 'SGD' oR NoT metrics.acc Is NoT nUlL", all)).toEqual(ids(low, none));
  });

  test("LIKE: % any run, _ exactly one character, the rest literal, across lines and astral characters", () => {
    const r = plainRun({ tags: { t: "a.b*c\nd😀" } });
    expect(matches("tags.t LIKE 'a.b*c_d_'", [r])).toEqual(ids(r));
    expect(matches("tags.t LIKE 'a_b%'", [r])).toEqual(ids(r));
    expect(matches("tags.t LIKE 'a.b'", [r])).toEqual([]);
    expect(matches("tags.t LIKE '%'", [r])).toEqual(ids(r));
    expect(matches("tags.t LIKE '%😀'", [r])).toEqual(ids(r));
    expect(matches("tags.t LIKE 'A%'", [r])).toEqual([]);
    expect(matches("tags.t ILIKE 'A%'", [r])).toEqual(ids(r));
  });

  test("keys named like Object.prototype's members are just keys", () => {
    const r = plainRun({ params: { constructor: "x" } });
    expect(matches("params.constructor = 'x'", [r, none])).toEqual(ids(r));
    expect(matches("params.toString IS NULL", [r])).toEqual(ids(r));
  });
});

describe("order", () => {
  const order = (runs: PlainRun[], ...keys: string[]) => orderRuns(runs, keys.map(parseOrderBy), plainAccessors).map((r) => r.runId);

  test("metrics: numbers, then NaN, then missing, in both directions", () => {
    const a = plainRun({ metrics: { m: 2 } });
    const b = plainRun({ metrics: { m: NaN } });
    const c = plainRun({});
    const d = plainRun({ metrics: { m: -Infinity } });
    const e = plainRun({ metrics: { m: Infinity } });
    expect(order([a, b, c, d, e], "metrics.m")).toEqual([d.runId, a.runId, e.runId, b.runId, c.runId]);
    expect(order([a, b, c, d, e], "metrics.m DESC")).toEqual([e.runId, a.runId, d.runId, b.runId, c.runId]);
  });

  test("ties go to the next key, then start time ascending, then run id", () => {
    const t = "2026-03-01T00:00:00.000Z";
    const a = plainRun({ metrics: { m: 1 }, params: { p: "b" }, startTime: t, runId: "zz" });
    const b = plainRun({ metrics: { m: 1 }, params: { p: "a" }, startTime: t, runId: "yy" });
    const c = plainRun({ metrics: { m: 1 }, params: { p: "b" }, startTime: t, runId: "aa" });
    const d = plainRun({ metrics: { m: 1 }, params: { p: "b" }, startTime: "2026-02-01T00:00:00.000Z", runId: "mm" });
    expect(order([a, b, c, d], "metrics.m DESC", "params.p DESC")).toEqual(["mm", "aa", "zz", "yy"]);
    expect(order([a, b, c, d])).toEqual(["mm", "aa", "yy", "zz"]);
  });

  test("params: numbers (and numeric strings) numerically, before text; tags and attributes", () => {
    const a = plainRun({ params: { p: 10 }, tags: { t: "b" } });
    const b = plainRun({ params: { p: "9" }, tags: { t: "a" }, status: "RUNNING" });
    const c = plainRun({ params: { p: "x" } });
    const d = plainRun({ params: { p: 0.5 }, endTime: "2026-09-01T00:00:00.000Z" });
    expect(order([a, b, c, d], "params.p")).toEqual([d.runId, b.runId, a.runId, c.runId]);
    expect(order([a, b, c, d], "params.p desc")).toEqual([a.runId, b.runId, d.runId, c.runId]);
    expect(order([a, b, c, d], "tags.t")).toEqual([b.runId, a.runId, c.runId, d.runId]);
    expect(order([a, b, c, d], "attributes.status desc")).toEqual([b.runId, a.runId, c.runId, d.runId]);
    expect(order([a, b, c, d], "attributes.end_time desc")).toEqual([d.runId, a.runId, b.runId, c.runId]);
  });
});

// ------------------------------------------------------------------ properties

const METRIC_KEYS = ["acc", "val loss", "学"];
const PARAM_KEYS = ["lr", "opt", "a`b"];
const TAG_KEYS = ["stage", "x.y"];
const TEXTS = ["", "a", "A", "adam", "Adam", "sgd", "0.5", "1", " 2 ", "1e3", "NaN", "-Infinity", "ß", "é😀", "it's", 'q"q', "a\\b", "%", "_"];
const NUMBERS = [0, -0, 1, -1, 0.5, 2, 1e3, 1e21, 5e-7, NaN, Infinity, -Infinity];
const T0 = Date.UTC(2026, 0, 1);

const textArb = fc.oneof(fc.constantFrom(...TEXTS), fc.string({ maxLength: 4 }));
const numberArb = fc.oneof(fc.constantFrom(...NUMBERS), fc.double({ noNaN: true, min: -10, max: 10 }), fc.integer({ min: -5, max: 5 }));
const finite = fc.oneof(fc.constantFrom(0, 1, -1, 0.5, 2, 1e3), fc.integer({ min: -5, max: 5 }));
const paramValue = fc.oneof(textArb, finite, fc.boolean(), fc.constant(null), fc.constant([1, "a"]));
const sub = <T>(keys: string[], value: fc.Arbitrary<T>) => fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length });

const runArb: fc.Arbitrary<PlainRun> = fc
  .record({
    i: fc.integer({ min: 0, max: 20 }),
    status: fc.constantFrom("RUNNING", "FINISHED", "FAILED", "KILLED"),
    parent: fc.option(fc.constantFrom("p1", "p2"), { nil: null }),
    end: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
    params: sub(PARAM_KEYS, paramValue),
    metrics: sub(METRIC_KEYS, numberArb),
    tags: sub(TAG_KEYS, textArb),
  })
  .map((r) =>
    plainRun({
      status: r.status,
      parentRunId: r.parent,
      startTime: new Date(T0 + r.i * 1000).toISOString(),
      endTime: r.end === null ? null : new Date(T0 + r.end * 1000).toISOString(),
      params: r.params,
      metrics: r.metrics,
      tags: r.tags,
    }),
  );

const identArb: fc.Arbitrary<Ident> = fc.oneof(
  fc.constantFrom(...METRIC_KEYS).map((key): Ident => ({ kind: "metrics", key })),
  fc.constantFrom(...PARAM_KEYS, "missing").map((key): Ident => ({ kind: "params", key })),
  fc.constantFrom(...TAG_KEYS).map((key): Ident => ({ kind: "tags", key })),
  fc.constantFrom("runId", "experimentId", "parentRunId", "status", "startTime", "endTime").map((key): Ident => ({ kind: "attributes", key })),
);

const num = (value: number): Literal => ({ type: "number", value });
const str = (value: string): Literal => ({ type: "string", value });

function literalFor(ident: Ident): fc.Arbitrary<Literal> {
  if (ident.kind === "metrics") return numberArb.map(num);
  if (ident.kind === "tags") return textArb.map(str);
  if (ident.kind === "params") return fc.oneof(numberArb.map(num), textArb.map(str));
  if (ident.key === "startTime" || ident.key === "endTime") {
    const ms = fc.integer({ min: -2, max: 42 }).map((s) => T0 + s * 1000);
    return fc.oneof(ms.map(num), ms.map((m) => str(new Date(m).toISOString())));
  }
  return fc.constantFrom("FINISHED", "FAILED", "p1", "1", "RUNNING", "x").map(str);
}

const isTextIdent = (i: Ident) => i.kind === "params" || i.kind === "tags" || (i.kind === "attributes" && i.key !== "startTime" && i.key !== "endTime");
const patternArb = fc.array(fc.constantFrom("%", "_", "a", "A", "d", "0", ".", "ß", "😀", "1"), { maxLength: 5 }).map((a) => a.join(""));

const testArb: fc.Arbitrary<Expr> = identArb.chain((ident) => {
  const options: Array<fc.Arbitrary<Expr>> = [
    fc.record({ cmp: fc.constantFrom("=", "!=", "<", "<=", ">", ">=" as const), value: literalFor(ident) }).map(({ cmp, value }): Expr => ({ op: "cmp", ident, cmp, value })),
    fc.record({ negated: fc.boolean(), values: fc.array(literalFor(ident), { minLength: 1, maxLength: 3 }) }).map(({ negated, values }): Expr => ({ op: "in", ident, negated, values })),
    fc.boolean().map((negated): Expr => ({ op: "null", ident, negated })),
  ];
  if (isTextIdent(ident)) {
    options.push(fc.record({ negated: fc.boolean(), caseInsensitive: fc.boolean(), pattern: patternArb }).map((l): Expr => ({ op: "like", ident, ...l })));
  }
  return fc.oneof(...options);
});

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    testArb,
    fc.record({ left: tie("e"), right: tie("e") }).map(({ left, right }): Expr => ({ op: "and", left, right })),
    fc.record({ left: tie("e"), right: tie("e") }).map(({ left, right }): Expr => ({ op: "or", left, right })),
    tie("e").map((arg): Expr => ({ op: "not", arg })),
  ),
})).e;

describe("properties", () => {
  test("the compiled predicate agrees with a direct evaluation of the AST", () => {
    fc.assert(
      fc.property(exprArb, fc.array(runArb, { maxLength: 12 }), (expr, runs) => {
        const predicate = compileFilter(expr, plainAccessors);
        for (const run of runs) expect(predicate(run)).toBe(evaluate(expr, run));
      }),
      { numRuns: 3000 },
    );
  });

  test("printing an AST and parsing the text gives the same AST", () => {
    fc.assert(
      fc.property(exprArb, (expr) => {
        const text = printFilter(expr);
        expect(parseFilter(text)).toEqual(expr);
      }),
      { numRuns: 3000 },
    );
  });

  test("printing any key and parsing it back gives the same key", () => {
    const key = fc.string({ minLength: 1, maxLength: 8, unit: "grapheme" });
    fc.assert(
      fc.property(fc.constantFrom("metrics", "params", "tags") as fc.Arbitrary<"metrics" | "params" | "tags">, key, fc.boolean(), (kind, k, desc) => {
        const ident: Ident = { kind, key: k };
        expect(parseOrderBy(printOrderBy({ ident, descending: desc }))).toEqual({ ident, descending: desc });
      }),
      { numRuns: 2000 },
    );
  });

  test("order: sorted by each key in turn (classes fixed, values turned for DESC), then start time, then id", () => {
    const orderKey = fc.record({ ident: identArb, descending: fc.boolean() });
    fc.assert(
      fc.property(fc.array(orderKey, { maxLength: 3 }), fc.array(runArb, { maxLength: 15 }), (keys, runs) => {
        const sorted = orderRuns(runs, keys, plainAccessors);
        expect(new Set(sorted)).toEqual(new Set(runs));
        expect(sorted).toHaveLength(runs.length);
        for (let i = 1; i < sorted.length; i++) expect(referenceCompare(sorted[i - 1]!, sorted[i]!, keys)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});

/** The order written out plainly: a rank per value (number < text < NaN < missing), then the value. */
function referenceCompare(a: PlainRun, b: PlainRun, keys: Array<{ ident: Ident; descending: boolean }>): number {
  const rank = (ident: Ident, run: PlainRun): [number, number | string] => {
    let v: unknown;
    if (ident.kind === "attributes") {
      v = (run as unknown as Record<string, unknown>)[ident.key];
      if ((ident.key === "startTime" || ident.key === "endTime") && typeof v === "string") v = new Date(v).getTime();
    } else v = Object.hasOwn(run[ident.kind], ident.key) ? run[ident.kind][ident.key] : undefined;
    if (v === undefined || v === null) return [3, 0];
    if (ident.kind === "params" && typeof v !== "number") {
      const t = typeof v === "string" ? v.trim() : "";
      const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, "+Infinity": Infinity, "-Infinity": -Infinity };
      if (typeof v === "string" && (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || t in special)) v = t in special ? special[t] : parseFloat(t);
      else return [1, typeof v === "string" ? v : JSON.stringify(v)];
    }
    if (typeof v === "number") return Number.isNaN(v) ? [2, 0] : [0, v];
    return [1, v as string];
  };
  for (const k of keys) {
    const [ra, va] = rank(k.ident, a);
    const [rb, vb] = rank(k.ident, b);
    if (ra !== rb) return ra - rb;
    if (va !== vb) return (va < vb ? -1 : 1) * (k.descending ? -1 : 1);
  }
  const ta = new Date(a.startTime).getTime();
  const tb = new Date(b.startTime).getTime();
  if (ta !== tb) return ta - tb;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}
