/**
 * The search language's typed AST. The parser builds only well-typed trees (a metric is compared with
 * numbers, LIKE only on text, attributes by their canonical name), so the compiler and the printer
 * never meet a tree they cannot handle. Trees carry no source positions: two filters that mean the
 * same thing in the same form give equal trees (`<>` is `!=`, `attributes.start_time` is `startTime`).
 */

export type Kind = "metrics" | "params" | "tags" | "attributes";

/** Attributes by canonical (camelCase) name; `text` ones compare as strings, `time` ones as epoch ms. */
export const ATTRIBUTES = {
  runId: { type: "text", mlflow: "run_id" },
  experimentId: { type: "text", mlflow: "experiment_id" },
  parentRunId: { type: "text", mlflow: "parent_run_id" },
  status: { type: "text", mlflow: "status" },
  startTime: { type: "time", mlflow: "start_time" },
  endTime: { type: "time", mlflow: "end_time" },
} as const;

export type AttributeName = keyof typeof ATTRIBUTES;

export interface Ident {
  kind: Kind;
  /** The key (for attributes: the canonical name). */
  key: string;
}

export type Literal = { type: "number"; value: number } | { type: "string"; value: string };

export type Comparison = "=" | "!=" | "<" | "<=" | ">" | ">=";

export type Expr =
  | { op: "or"; left: Expr; right: Expr }
  | { op: "and"; left: Expr; right: Expr }
  | { op: "not"; arg: Expr }
  | { op: "cmp"; ident: Ident; cmp: Comparison; value: Literal }
  | { op: "in"; ident: Ident; negated: boolean; values: Literal[] }
  | { op: "null"; ident: Ident; negated: boolean }
  | { op: "like"; ident: Ident; negated: boolean; caseInsensitive: boolean; pattern: string };

export interface OrderKey {
  ident: Ident;
  descending: boolean;
}
