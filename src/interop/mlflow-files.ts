/** What the MLflow readers (mlflow.ts, mlflow-models.ts) share: meta.yaml, folders of text files, epoch times. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { files } from "./runelog-py.js";

export type Skip = (path: string, reason: string) => void;

/** Files of a folder as key → text, keys with "/" for sub-folders (MLflow stores "a/b" as a/b). */
export async function textFiles(dir: string, skip: Skip): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await files(dir, true)) {
    try {
      out[key] = await readFile(join(dir, key), "utf8");
    } catch (err) {
      skip(join(dir, key), `cannot be read (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  }
  return out;
}

export async function readYaml(file: string): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; reason: string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === "ENOENT" ? "no meta.yaml (a writer was killed before it wrote one)" : `cannot be read (${code ?? err})` };
  }
  if (text.trim() === "") return { ok: false, reason: "empty meta.yaml (a writer was killed while writing it)" };
  try {
    const value: unknown = parseYaml(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reason: "meta.yaml is not a mapping" };
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false, reason: "meta.yaml is not valid YAML (cut off or damaged)" };
  }
}

export function epochIso(value: unknown): string | null {
  const ms = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
