/** Content types by extension, and the built front end (dist/ui) served as static files. */
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import type { Context } from "hono";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".tsv": "text/tab-separated-values; charset=utf-8",
  ".yaml": "text/yaml; charset=utf-8",
  ".yml": "text/yaml; charset=utf-8",
  ".ndjson": "application/x-ndjson; charset=utf-8",
  ".jsonl": "application/x-ndjson; charset=utf-8",
  ".py": "text/x-python; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".pdf": "application/pdf",
  ".woff2": "font/woff2",
  ".gz": "application/gzip",
  ".zip": "application/zip",
};

export function contentType(name: string): string {
  return TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

/**
 * A file of the built front end, or index.html for any other page path (the page routes itself).
 * Paths are resolved inside `root` and checked again after symbolic links are followed.
 */
export async function serveUi(c: Context, root: string | undefined): Promise<Response> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(c.req.url).pathname);
  } catch {
    return c.text("not found", 404);
  }
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === ".." || s.includes("\\") || s.includes("\0"))) return c.text("not found", 404);
  const file = root === undefined ? null : await regularFileInside(root, join(root, ...segments));
  if (file) return sendFile(c, file);
  if (extname(path) !== "") return c.text("not found", 404);
  const index = root === undefined ? null : await regularFileInside(root, join(root, "index.html"));
  return index ? sendFile(c, index) : c.html(NOT_BUILT, 503);
}

async function sendFile(c: Context, file: string): Promise<Response> {
  return c.body(await readFile(file), 200, {
    "Content-Type": contentType(file),
    // index.html names the bundle; it must never be stale, the bundle itself may be cached briefly.
    "Cache-Control": file.endsWith(".html") ? "no-cache" : "max-age=60",
  });
}

async function regularFileInside(root: string, path: string): Promise<string | null> {
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
    if (!real.startsWith(realRoot + sep)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>runelog ui</title>
<p>The runelog web UI is not built. Run <code>npm run build</code> in the runelog package, then start <code>runelog ui</code> again.
The HTTP API under <code>/api/</code> works without it.</p>`;
