/** The search language: parse a filter or orderBy entry, print it back, compile it, order runs by it. */
export { ATTRIBUTES, type AttributeName, type Comparison, type Expr, type Ident, type Kind, type Literal, type OrderKey } from "./ast.js";
export { parseFilter, parseOrderBy } from "./parse.js";
export { printFilter, printIdent, printLiteral, printOrderBy } from "./print.js";
export { compileFilter, likePattern, paramNumber, paramText, type Predicate, type RunAccessors } from "./compile.js";
export { orderRuns } from "./order.js";
