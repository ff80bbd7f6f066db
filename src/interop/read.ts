/** The reader for each kind of source store (what src/api/import.ts imports from). */
import type { SourceKind, SourceStore } from "../source-store.js";
import { readMlflow } from "./mlflow.js";
import { readRunelogPy } from "./runelog-py.js";

/** Reads a source store of either kind (UnreadableSource when it cannot be read at all). */
export function readSource(kind: SourceKind, source: string): Promise<SourceStore> {
  return kind === "mlflow" ? readMlflow(source) : readRunelogPy(source);
}
