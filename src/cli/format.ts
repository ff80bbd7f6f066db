/** Terminal output: tables that fit the terminal, values as people read them, a little colour on a TTY. */

const useColor = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";

function paint(open: number, close: number): (text: string, stream?: NodeJS.WriteStream) => string {
  return (text, stream = process.stdout) => (useColor(stream) ? `\x1b[${open}m${text}\x1b[${close}m` : text);
}

export const style = {
  bold: paint(1, 22),
  dim: paint(2, 22),
  red: paint(31, 39),
  green: paint(32, 39),
  yellow: paint(33, 39),
  cyan: paint(36, 39),
};

/** The width output must fit: the terminal's, else $COLUMNS, else unlimited (piped output is not cut). */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : Infinity;
}

/** Visible length (ANSI escapes do not count; every code point counts one). */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\x1b\[[0-9;]*m/g, "")].length;
}

/** Cuts `text` to `width` code points, marking the cut with "…" (at the end, or at the start for ids whose tail matters). */
export function truncate(text: string, width: number, from: "end" | "start" = "end"): string {
  if (visibleLength(text) <= width) return text;
  // eslint-disable-next-line no-control-regex
  const chars = [...text.replace(/\x1b\[[0-9;]*m/g, "")]; // a cut text loses its colour rather than leave an escape open
  if (chars.length <= width) return text;
  if (width <= 0) return "";
  if (width === 1) return "…";
  return from === "end" ? chars.slice(0, width - 1).join("") + "…" : "…" + chars.slice(chars.length - width + 1).join("");
}

export interface Column {
  header: string;
  /** Right-align (numbers). */
  align?: "left" | "right";
  /** Never cut this column (ids people copy); other columns give way first. */
  keep?: boolean;
  /** Where a cut goes: "start" keeps the end of the text (run ids share their first characters). */
  cut?: "end" | "start";
  /** Colours a cell after it has been cut and padded. */
  paint?: (cell: string, raw: string) => string;
}

const GAP = "  ";
const MIN_CELL = 6;

/**
 * Lays out rows as aligned columns no wider than the terminal. Columns that do not fit even when
 * cut to a few characters are left out, and a last line says how many (the --json output has all).
 */
export function table(columns: Column[], rows: string[][], options: { width?: number } = {}): string {
  const width = options.width ?? terminalWidth();
  const natural = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  let shown = columns.map((_, i) => i);
  const minimum = (i: number) => (columns[i]!.keep ? natural[i]! : Math.min(natural[i]!, Math.max(MIN_CELL, Math.min(visibleLength(columns[i]!.header), 12))));
  const total = (idx: number[], w: (i: number) => number) => idx.reduce((sum, i) => sum + w(i), 0) + GAP.length * Math.max(0, idx.length - 1);
  while (shown.length > 1 && total(shown, minimum) > width) shown = shown.slice(0, -1);
  const widths = new Map(shown.map((i) => [i, natural[i]!]));
  // Shrink the widest cuttable column a character at a time until the table fits.
  while (total(shown, (i) => widths.get(i)!) > width) {
    let widest = -1;
    for (const i of shown) if (widths.get(i)! > minimum(i) && (widest < 0 || widths.get(i)! > widths.get(widest)!)) widest = i;
    if (widest < 0) break;
    widths.set(widest, widths.get(widest)! - 1);
  }
  const line = (cells: string[], header: boolean) =>
    shown
      .map((i, n) => {
        const c = columns[i]!;
        const w = widths.get(i)!;
        const raw = cells[i] ?? "";
        const cut = truncate(raw, w, c.cut);
        const pad = " ".repeat(Math.max(0, w - visibleLength(cut)));
        const last = n === shown.length - 1;
        const padded = c.align === "right" ? pad + cut : last ? cut : cut + pad;
        return header ? style.dim(padded) : c.paint ? c.paint(padded, raw) : padded;
      })
      .join(GAP)
      .trimEnd();
  const out = [line(columns.map((c) => c.header), true), ...rows.map((r) => line(r, false))];
  const hidden = columns.length - shown.length;
  if (hidden > 0) {
    const note = `(--json shows all; ${hidden} more column${hidden === 1 ? "" : "s"}: ${columns.slice(shown.length).map((c) => c.header).join(", ")})`;
    out.push(style.dim(Number.isFinite(width) ? truncate(note, width) : note));
  }
  return out.join("\n");
}

/** Key/value lines ("status    FINISHED"), keys dimmed, values cut to the terminal. */
export function fields(pairs: Array<[string, string]>, indent = ""): string {
  const keyWidth = Math.max(0, ...pairs.map(([k]) => visibleLength(k)));
  const width = terminalWidth();
  return pairs
    .map(([k, v]) => {
      const room = width - indent.length - keyWidth - GAP.length;
      return `${indent}${style.dim(k.padEnd(keyWidth))}${GAP}${Number.isFinite(room) ? truncate(v, Math.max(room, 10)) : v}`.trimEnd();
    })
    .join("\n");
}

/** A metric or number as people read it: integers whole, others to 6 significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e12)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

/** A param (any JSON value) or table cell as text. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** An ISO time as local "YYYY-MM-DD HH:MM:SS" (what a person scanning a list wants). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** How long a run took, or has been going. */
export function runDuration(start: string, end: string | null): string {
  const from = Date.parse(start);
  const to = end ? Date.parse(end) : Date.now();
  return formatDuration(to - from) + (end ? "" : " …");
}

export function paintStatus(status: string, stream?: NodeJS.WriteStream): string {
  const s = status.trim();
  if (s === "FINISHED") return style.green(status, stream);
  if (s === "FAILED") return style.red(status, stream);
  if (s === "KILLED") return style.yellow(status, stream);
  if (s === "RUNNING") return style.cyan(status, stream);
  return status;
}

/** JSON for scripts: NaN and ±Infinity (which JSON cannot hold) become the strings "NaN", "Infinity", "-Infinity", as in the journals. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), indent);
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? word : many}`;
}
