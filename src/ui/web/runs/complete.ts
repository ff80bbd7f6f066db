/** Completion for the filter box: the identifier under the cursor, and what could finish it. */

/** Attributes the filter grammar knows. */
export const FILTER_ATTRIBUTES = ["run_id", "experiment_id", "parent_run_id", "status", "start_time", "end_time"];

interface Keys { params: string[]; metrics: string[]; tags: string[] }

const KINDS = ["metrics", "params", "tags", "attributes"];
const KEYWORDS = ["and", "or", "not", "in", "is null", "is not null", "like", "ilike"];

/** The identifier-like word that ends at `cursor`. */
export function wordAt(text: string, cursor: number): { start: number; word: string } {
  let start = cursor;
  while (start > 0 && /[\w.`-]/.test(text[start - 1]!)) start--;
  return { start, word: text.slice(start, cursor) };
}

function quoteKey(key: string): string {
  return /^[A-Za-z_][\w]*$/.test(key) ? key : `\`${key}\``;
}

export function suggestions(word: string, keys: Keys | undefined): string[] {
  const w = word.toLowerCase();
  if (!w) return [];
  const dot = w.indexOf(".");
  if (dot < 0) {
    return [...KINDS.filter((k) => k.startsWith(w)).map((k) => `${k}.`), ...KEYWORDS.filter((k) => k.startsWith(w) && k !== w)];
  }
  const kind = w.slice(0, dot).replace(/^(metric|param|parameters|tag|attribute|attr|run)$/, (k) =>
    k.startsWith("metric") ? "metrics" : k.startsWith("param") ? "params" : k === "tag" ? "tags" : "attributes");
  const prefix = word.slice(dot + 1).replace(/^`/, "").toLowerCase();
  const names = kind === "metrics" ? keys?.metrics : kind === "params" ? keys?.params : kind === "tags" ? keys?.tags : kind === "attributes" ? FILTER_ATTRIBUTES : [];
  return (names ?? []).filter((n) => n.toLowerCase().startsWith(prefix) || n.toLowerCase().includes(prefix)).slice(0, 50).map((n) => `${kind}.${quoteKey(n)}`);
}
