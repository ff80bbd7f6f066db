/**
 * A recursive-descent parser for the search grammar (docs/search.md):
 *
 *   or := and (OR and)*    and := not (AND not)*    not := NOT not | '(' or ')' | test
 *
 * Types are checked here, where the source positions are known, so every mistake gets a caret.
 */
import { ATTRIBUTES, type AttributeName, type Comparison, type Expr, type Ident, type Kind, type Literal, type OrderKey } from "./ast.js";
import { type Argument, syntaxError, type Token, tokenize } from "./tokens.js";

const KINDS: Record<string, Kind> = {
  metrics: "metrics", metric: "metrics",
  params: "params", param: "params", parameters: "params",
  tags: "tags", tag: "tags",
  attributes: "attributes", attribute: "attributes", attr: "attributes", run: "attributes",
};

const ATTRIBUTE_NAMES = new Map<string, AttributeName>();
for (const [name, a] of Object.entries(ATTRIBUTES) as Array<[AttributeName, (typeof ATTRIBUTES)[AttributeName]]>) {
  ATTRIBUTE_NAMES.set(name, name);
  ATTRIBUTE_NAMES.set(a.mlflow, name);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_NUMBERS: Record<string, number> = { nan: NaN, infinity: Infinity, "+infinity": Infinity, "-infinity": -Infinity };

/**
 * Bounds that keep every later recursion (compile, print, the predicate itself) far from the stack's
 * limit: a filter is a human's, and thousands of conditions or levels are a mistake or an attack.
 */
export const MAX_CONDITIONS = 1000;
export const MAX_NESTING = 100;

/** Keywords match in any case, ASCII only (so "ın" is not IN). */
const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Parses a filter; an empty (or all white space) filter is null: it keeps every run. */
export function parseFilter(text: string): Expr | null {
  const p = new Parser("filter", text);
  if (p.peek().t === "eof") return null;
  const expr = p.or();
  p.expectEnd("expected AND, OR or the end of the filter");
  return expr;
}

/** Parses one orderBy entry: `ident [ASC | DESC]`. */
export function parseOrderBy(text: string): OrderKey {
  const p = new Parser("orderBy", text);
  const ident = p.ident();
  let descending = false;
  const dir = p.peek();
  if (p.isKeyword(dir, "desc") || p.isKeyword(dir, "asc")) {
    descending = p.isKeyword(dir, "desc");
    p.next();
  }
  p.expectEnd("expected ASC, DESC or the end of the entry");
  return { ident, descending };
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private conditions = 0;
  private nesting = 0;

  constructor(private readonly argument: Argument, private readonly text: string) {
    this.tokens = tokenize(argument, text);
  }

  peek(): Token {
    return this.tokens[this.i]!;
  }

  next(): Token {
    const t = this.tokens[this.i]!;
    if (t.t !== "eof") this.i++;
    return t;
  }

  isKeyword(t: Token, word: string): boolean {
    return t.t === "word" && lower(t.text) === word;
  }

  fail(at: Token | number, problem: string): never {
    throw syntaxError(this.argument, this.text, typeof at === "number" ? at : at.start, problem);
  }

  expectEnd(problem: string): void {
    const t = this.peek();
    if (t.t !== "eof") this.fail(t, `${problem}, got ${this.describe(t)}`);
  }

  or(): Expr {
    let left = this.and();
    while (this.isKeyword(this.peek(), "or")) {
      this.next();
      left = { op: "or", left, right: this.and() };
    }
    return left;
  }

  and(): Expr {
    let left = this.not();
    while (this.isKeyword(this.peek(), "and")) {
      this.next();
      left = { op: "and", left, right: this.not() };
    }
    return left;
  }

  not(): Expr {
    const t = this.peek();
    if (++this.nesting > MAX_NESTING) this.fail(t, `expected at most ${MAX_NESTING} levels of NOT and parentheses`);
    try {
      return this.notBody(t);
    } finally {
      this.nesting--;
    }
  }

  private notBody(t: Token): Expr {
    if (this.isKeyword(t, "not")) {
      this.next();
      if (this.peek().t === "eof") this.fail(this.peek(), "expected a condition after NOT");
      return { op: "not", arg: this.not() };
    }
    if (t.t === "(") {
      this.next();
      if (this.peek().t === ")") this.fail(this.peek(), "expected a condition after '('");
      const inner = this.or();
      const close = this.peek();
      if (close.t !== ")") this.fail(close, `expected ')' to close the '(' at column ${this.column(t.start)}, got ${this.describe(close)}`);
      this.next();
      return inner;
    }
    return this.test();
  }

  test(): Expr {
    const start = this.peek();
    if (++this.conditions > MAX_CONDITIONS) this.fail(start, `expected at most ${MAX_CONDITIONS} conditions`);
    const ident = this.ident();
    const name = this.text.slice(start.start, this.tokens[this.i - 1]!.end);
    const t = this.next();
    if (t.t === "op") {
      const value = this.value(`'${t.text}'`);
      this.checkValue(ident, name, value.literal, value.token);
      const cmp = (t.text === "<>" ? "!=" : t.text) as Comparison;
      return { op: "cmp", ident, cmp, value: value.literal };
    }
    let negated = false;
    let op: Token = t;
    if (this.isKeyword(t, "not")) {
      negated = true;
      op = this.next();
      if (!this.isKeyword(op, "in") && !this.isKeyword(op, "like") && !this.isKeyword(op, "ilike")) this.fail(op, `expected IN, LIKE or ILIKE after NOT, got ${this.describe(op)}`);
    }
    if (this.isKeyword(op, "in")) {
      const open = this.next();
      if (open.t !== "(") this.fail(open, `expected '(' after IN, got ${this.describe(open)}`);
      const values: Literal[] = [];
      let after = "'('";
      for (;;) {
        const v = this.value(after);
        this.checkValue(ident, name, v.literal, v.token);
        values.push(v.literal);
        const sep = this.next();
        if (sep.t === ")") break;
        if (sep.t !== ",") this.fail(sep, `expected ',' or ')' in the IN list, got ${this.describe(sep)}`);
        after = "','";
      }
      return { op: "in", ident, negated, values };
    }
    if (this.isKeyword(op, "like") || this.isKeyword(op, "ilike")) {
      const caseInsensitive = this.isKeyword(op, "ilike");
      const word = caseInsensitive ? "ILIKE" : "LIKE";
      if (!isText(ident)) this.fail(op, `${word} works on params, tags and text attributes, not on ${name}`);
      const pattern = this.next();
      if (pattern.t !== "string") this.fail(pattern, `expected a 'pattern' string after ${word}`);
      return { op: "like", ident, negated, caseInsensitive, pattern: pattern.value };
    }
    if (this.isKeyword(op, "is")) {
      let n = this.next();
      if (this.isKeyword(n, "not")) {
        negated = true;
        n = this.next();
      }
      if (!this.isKeyword(n, "null")) this.fail(n, `expected NULL after IS${negated ? " NOT" : ""}, got ${this.describe(n)}`);
      return { op: "null", ident, negated };
    }
    this.fail(t, `expected an operator (=, !=, <, <=, >, >=, IN, NOT IN, IS NULL, LIKE, ILIKE) after '${name}', got ${this.describe(t)}`);
  }

  ident(): Ident {
    const t = this.next();
    if (t.t !== "word" || isReserved(t.text)) {
      this.fail(t, `expected a key such as metrics.acc, params.lr, tags.stage or attributes.status, got ${this.describe(t)}`);
    }
    const dot = t.text.indexOf(".");
    if (dot < 0) this.fail(t, `expected a key such as metrics.${t.text}: a kind (metrics, params, tags, attributes), a '.', then the key; got ${this.describe(t)}`);
    const kindText = t.text.slice(0, dot);
    const kind = KINDS[lower(kindText)];
    if (!kind) this.fail(t, `unknown kind '${kindText}': expected metrics, params, tags or attributes before the '.'`);
    let key = t.text.slice(dot + 1);
    let keyAt = dot + 1 + t.start;
    if (key === "") {
      const q = this.peek();
      if (q.t !== "backtick" && !(q.t === "string" && q.quote === '"')) this.fail(q, `expected a key after '${t.text}' (a name, \`quoted\` or "quoted")`);
      this.next();
      if (q.value === "") this.fail(q, "expected a key: a quoted key must not be empty");
      key = q.value;
      keyAt = q.start;
    }
    if (kind !== "attributes") return { kind, key };
    const attribute = ATTRIBUTE_NAMES.get(key);
    if (!attribute) {
      const known = Object.entries(ATTRIBUTES).map(([camel, a]) => `${a.mlflow} (${camel})`).join(", ");
      this.fail(keyAt, `unknown attribute '${key}': expected one of ${known}`);
    }
    return { kind, key: attribute };
  }

  value(after: string): { literal: Literal; token: Token } {
    const t = this.next();
    if (t.t === "string") return { literal: { type: "string", value: t.value }, token: t };
    if (t.t === "word") {
      const special = SPECIAL_NUMBERS[lower(t.text)];
      if (special !== undefined) return { literal: { type: "number", value: special }, token: t };
      if (NUMBER.test(t.text)) return { literal: { type: "number", value: Number(t.text) }, token: t };
    }
    this.fail(t, `expected a value after ${after}`);
  }

  /** A value the ident can be compared with: numbers for metrics, text for tags and text attributes, either for params. */
  checkValue(ident: Ident, name: string, literal: Literal, at: Token): void {
    if (ident.kind === "metrics" && literal.type === "string") this.fail(at, `${name} is a metric: expected a number (or NaN, Infinity, -Infinity), not a string`);
    if (ident.kind === "tags" && literal.type === "number") this.fail(at, `${name} is a tag: expected a 'string', not a number`);
    if (ident.kind === "attributes") {
      const type = ATTRIBUTES[ident.key as AttributeName].type;
      if (type === "text" && literal.type === "number") this.fail(at, `${name} is text: expected a 'string', not a number`);
      if (type === "time") {
        if (literal.type === "number" && !Number.isFinite(literal.value)) this.fail(at, `${name} is a time: expected epoch milliseconds or an ISO 8601 'string'`);
        if (literal.type === "string" && Number.isNaN(Date.parse(literal.value))) this.fail(at, `${name} is a time: expected epoch milliseconds or an ISO 8601 'string', got '${literal.value}'`);
      }
    }
  }

  describe(t: Token): string {
    if (t.t === "eof") return "the end";
    return `'${this.text.slice(t.start, t.end)}'`;
  }

  column(index: number): number {
    return [...this.text.slice(0, index)].length + 1;
  }
}

const RESERVED = new Set(["and", "or", "not", "in", "is", "null", "like", "ilike"]);
const isReserved = (word: string) => RESERVED.has(lower(word));

function isText(ident: Ident): boolean {
  if (ident.kind === "metrics") return false;
  if (ident.kind === "attributes") return ATTRIBUTES[ident.key as AttributeName].type === "text";
  return true;
}
