/**
 * Tests that act as another user (uid 65534, "nobody") need the library where that user can read
 * it: the checkout itself may sit in a folder only its owner can enter (CI's clone, a mktemp dir).
 * So the built library is bundled, with its dependencies, into one world-readable file.
 */
import { chmodSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";

let bundled: string | undefined;

/** The path of a world-readable ESM bundle of `dist/src/index.js` (run `npm run build` first). */
export function libraryForOtherUsers(): string {
  if (bundled) return bundled;
  const entry = join(__dirname, "..", "..", "dist", "src", "index.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), "runelog-lib-"));
  chmodSync(dir, 0o755);
  const outfile = join(dir, "runelog.mjs");
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["pg-native"],
    // CommonJS dependencies call require() for Node's own modules; an ESM bundle has none of its own.
    banner: { js: 'import { createRequire as __runelogRequire } from "node:module"; const require = __runelogRequire(import.meta.url);' },
    logLevel: "silent",
  });
  chmodSync(outfile, 0o644);
  return (bundled = outfile);
}
