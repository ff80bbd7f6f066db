/** Splits a filter or orderBy text into tokens; every token knows where it starts, for error carets. */
import { InvalidInput } from "../errors.js";

export type Token =
  | { t: "word"; text: string; start: number; end: number }
  | { t: "string"; quote: "'" | '"'; value: string; start: number; end: number }
  | { t: "backtick"; value: string; start: number; end: number }
  | { t: "op"; text: string; start: number; end: number }
  | { t: "(" | ")" | ","; start: number; end: number }
  | { t: "eof"; start: number; end: number };

export type Argument = "filter" | "orderBy";

const OPERATORS = new Set(["=", "!=", "<>", "<", "<=", ">", ">="]);
const OPERATOR_CHAR = /[=!<>]/;
/** Everything but white space, operators, parentheses, commas and quotes belongs to a bare word. */
const WORD_CHAR = /[^\s=!<>(),'"`]/u;

/**
 * An InvalidInput whose message is the API's multi-line shape: what was expected at which 1-based
 * column (in characters, not UTF-16 units), then the text indented by two spaces and a caret under it.
 */
export function syntaxError(argument: Argument, text: string, index: number, problem: string): InvalidInput {
  const column = [...text.slice(0, index)].length + 1;
  // eslint-disable-next-line no-control-regex
  const shown = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " "); // one cell per character, so the caret lines up
  const err = new InvalidInput(argument, problem);
  err.message = `${argument}: ${problem} at column ${column}\n  ${shown}\n  ${" ".repeat(column - 1)}^`;
  return err;
}

export function tokenize(argument: Argument, text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "(" || c === ")" || c === ",") {
      tokens.push({ t: c, start, end: ++i });
    } else if (c === "'" || c === '"') {
      const { value, end } = quoted(argument, text, i, c);
      tokens.push({ t: "string", quote: c, value, start, end });
      i = end;
    } else if (c === "`") {
      const close = text.indexOf("`", i + 1);
      if (close < 0) throw syntaxError(argument, text, i, "unclosed backtick: expected a closing `");
      tokens.push({ t: "backtick", value: text.slice(i + 1, close), start, end: close + 1 });
      i = close + 1;
    } else if (OPERATOR_CHAR.test(c)) {
      while (i < text.length && OPERATOR_CHAR.test(text[i]!)) i++;
      const op = text.slice(start, i);
      if (!OPERATORS.has(op)) throw syntaxError(argument, text, start, `unknown operator '${op}': expected one of =, !=, <>, <, <=, >, >=`);
      tokens.push({ t: "op", text: op, start, end: i });
    } else {
      const cp = text.codePointAt(i)!;
      while (i < text.length && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(i)!))) i += text.codePointAt(i)! > 0xffff ? 2 : 1;
      if (i === start) throw syntaxError(argument, text, start, `unexpected character ${JSON.stringify(String.fromCodePoint(cp))}`);
      tokens.push({ t: "word", text: text.slice(start, i), start, end: i });
    }
  }
  tokens.push({ t: "eof", start: text.length, end: text.length });
  return tokens;
}

/** A quoted string from `open`: a backslash escapes the next character, and a doubled quote is one quote (SQL). */
function quoted(argument: Argument, text: string, open: number, quote: string): { value: string; end: number } {
  let value = "";
  let i = open + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (c === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i += 2;
      } else return { value, end: i + 1 };
    } else {
      value += c;
      i++;
    }
  }
  throw syntaxError(argument, text, open, `unclosed string: expected a closing ${quote}`);
}
