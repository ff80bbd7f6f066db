/**
 * GET /api/runs/:runId/artifacts/<name> — an artifact's bytes. The name may hold folders
 * (plots/loss.png); each path segment is decoded on its own, so an encoded "/" or "\" inside a
 * segment, "..", "." or an empty segment is refused. The library resolves the name to a path
 * inside the store, and the file is checked again after symbolic links are followed.
 */
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { sep } from "node:path";
import { Readable } from "node:stream";
import { Hono } from "hono";
import { InvalidInput } from "../../../index.js";
import type { RouteContext } from "../context.js";
import { contentType } from "../files.js";
import { HttpError, param } from "../http.js";

/** Types a browser would run as a page of ours (script, HTML, SVG with script): sent so they only display or download. */
const ACTIVE = /^(text\/html|image\/svg\+xml|application\/xhtml|text\/xml|application\/xml)/;

export function artifactsRoutes({ views }: RouteContext): Hono {
  return new Hono().get("/runs/:runId/artifacts/*", async (c) => {
    const view = views.of(c);
    const runId = c.req.param("runId");
    const name = artifactName(c.req.url);
    const path = await view.getArtifactAbspath(runId, name);
    const [store, real] = await Promise.all([realpath(view.storeDir), realpath(path)]);
    if (!real.startsWith(store + sep)) throw new HttpError(403, "FORBIDDEN_PATH", `artifact ${name} resolves outside the store`);
    const { size } = await stat(real);
    const type = contentType(name);
    const download = param(c, "download") === "1";
    return c.body(Readable.toWeb(createReadStream(real)) as ReadableStream<Uint8Array>, 200, {
      "Content-Type": type,
      "Content-Length": String(size),
      "X-Content-Type-Options": "nosniff",
      // Even an artifact that is HTML or SVG cannot run script in our origin: the sandbox gives it none.
      "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
      "Content-Disposition": `${download || ACTIVE.test(type) ? "attachment" : "inline"}; filename*=UTF-8''${encodeURIComponent(name.split("/").pop()!)}`,
    });
  });
}

function artifactName(url: string): string {
  const path = new URL(url).pathname;
  const raw = path.slice(path.indexOf("/artifacts/") + "/artifacts/".length);
  const segments = raw.split("/").map((s) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      throw new InvalidInput("artifactName", "is not a well-formed URL-encoded string");
    }
    if (decoded === "" || decoded === "." || decoded === ".." || decoded.includes("/") || decoded.includes("\\") || decoded.includes("\0")) {
      throw new InvalidInput("artifactName", `has a segment ${JSON.stringify(decoded)}: segments are names, not "", ".", ".." or anything with a slash`);
    }
    return decoded;
  });
  return segments.join("/");
}
