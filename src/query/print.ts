/** AST → filter text that parses back to the same AST (canonical form: upper-case keywords, minimal parentheses). */
import type { Expr, Ident, Literal, OrderKey } from "./ast.js";

const BARE_KEY = /^[^\s=!<>(),'"`]+$/u;
const PRECEDENCE = { or: 1, and: 2 } as const;

export function printFilter(expr: Expr | null): string {
  return expr === null ? "" : print(expr);
}

export function printOrderBy(key: OrderKey): string {
  return `${printIdent(key.ident)} ${key.descending ? "DESC" : "ASC"}`;
}

function print(e: Expr): string {
  switch (e.op) {
    case "or":
    case "and": {
      // Left-associative: a right operand of the same operator needs parentheses, a left one does not.
      const p = PRECEDENCE[e.op];
      const left = e.left.op in PRECEDENCE && PRECEDENCE[e.left.op as "or" | "and"] < p ? `(${print(e.left)})` : print(e.left);
      const right = e.right.op in PRECEDENCE && PRECEDENCE[e.right.op as "or" | "and"] <= p ? `(${print(e.right)})` : print(e.right);
      return `${left} ${e.op.toUpperCase()} ${right}`;
    }
    case "not":
      return e.arg.op === "or" || e.arg.op === "and" ? `NOT (${print(e.arg)})` : `NOT ${print(e.arg)}`;
    case "cmp":
      return `${printIdent(e.ident)} ${e.cmp} ${printLiteral(e.value)}`;
    case "in":
      return `${printIdent(e.ident)} ${e.negated ? "NOT IN" : "IN"} (${e.values.map(printLiteral).join(", ")})`;
    case "null":
      return `${printIdent(e.ident)} IS ${e.negated ? "NOT NULL" : "NULL"}`;
    case "like":
      return `${printIdent(e.ident)} ${e.negated ? "NOT " : ""}${e.caseInsensitive ? "ILIKE" : "LIKE"} ${quote(e.pattern, "'")}`;
  }
}

export function printIdent(ident: Ident): string {
  const { kind, key } = ident;
  if (BARE_KEY.test(key)) return `${kind}.${key}`;
  if (!key.includes("`")) return `${kind}.\`${key}\``;
  return `${kind}.${quote(key, '"')}`;
}

export function printLiteral(literal: Literal): string {
  if (literal.type === "string") return quote(literal.value, "'");
  const v = literal.value;
  return Object.is(v, -0) ? "-0" : String(v); // String gives NaN, Infinity, -Infinity, 1e+21: all parse back
}

function quote(text: string, q: "'" | '"'): string {
  return q + text.replace(/\\/g, "\\\\").replaceAll(q, `\\${q}`) + q;
}
