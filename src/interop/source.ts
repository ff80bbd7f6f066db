/** Helpers the source readers share: JSON as Python writes it, naive times, tag text. */
import { readFile } from "node:fs/promises";
import { parsePythonJson } from "./lines.js";

/** JSON as Python writes it (bare NaN, Infinity): the parsed value, or an error naming what is wrong. */
export async function readPythonJson(file: string): Promise<{ ok: true; value: unknown } | { ok: false; reason: string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    return { ok: false, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})` };
  }
  if (text.length === 0) return { ok: false, reason: "empty file (a writer was killed before it wrote)" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const value = parsePythonJson(text);
    if (value !== undefined) return { ok: true, value };
    return { ok: false, reason: `not valid JSON (${text.length} bytes, cut off or damaged)` };
  }
}

/** A naive ISO time (Python's datetime.isoformat() without a zone) read as UTC; null when it is not a time. */
export function naiveTime(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Tag values in runelog are strings: other JSON values are kept as their JSON text. */
export function tagText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
}
