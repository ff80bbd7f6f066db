/** Shared test helpers: temp stores and byte-exact snapshots of a store. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

export function tempDir(prefix = "runelog-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every file under `root` with its bytes (as base64), for byte-for-byte comparisons. Lock directories are left out. */
export function snapshotFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (!name.endsWith(".lock")) walk(p);
      } else out[relative(root, p)] = readFileSync(p).toString("base64");
    }
  };
  walk(root);
  return out;
}
