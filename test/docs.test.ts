/**
 * The docs run as written: every ```ts / ```js block of README.md and docs/*.md, in order, one
 * script per file, against a fresh temp folder, importing "runelog" the way a user's project does
 * (the package's own `exports`, built output). Any throw fails the test. Markers (docs/concepts.md,
 * "Code in the docs runs"):
 *   <!-- runnable: skip (why) -->    on the line before a block: that block is not run
 *   <!-- runnable: prelude ... -->   code run before the file's blocks (what a page calls "your code")
 * Needs `npm run build` (npm test does it).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { transformSync } from "esbuild";
import { removeDir, tempDir } from "./helpers/store.js";

const ROOT = resolve(__dirname, "..");
const FILES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const FENCE = /^```(ts|typescript|js|javascript|mjs)\s*$/;
const SKIP = /^<!--\s*runnable:\s*skip\b.*-->\s*$/;

interface DocCode {
  prelude: string;
  blocks: Array<{ line: number; code: string }>;
  skipped: number;
}

/** The runnable blocks of a Markdown text (exported shape kept small: the test below is its only user). */
function extract(markdown: string): DocCode {
  const lines = markdown.split("\n");
  const out: DocCode = { prelude: "", blocks: [], skipped: 0 };
  const prelude = /<!--\s*runnable:\s*prelude\b([\s\S]*?)-->/g;
  for (const m of markdown.matchAll(prelude)) out.prelude += m[1] + "\n";
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^```(\S*)/);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith("```")) end++;
    if (FENCE.test(lines[start]!)) {
      let before = start - 1;
      while (before >= 0 && lines[before]!.trim() === "") before--;
      if (before >= 0 && SKIP.test(lines[before]!.trim())) out.skipped++;
      else out.blocks.push({ line: start + 1, code: lines.slice(start + 1, end).join("\n") });
    }
    i = end;
  }
  return out;
}

function run(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env = { ...process.env, NO_COLOR: "1", RUNELOG_PATH: undefined, RUNELOG_RUN_ID: undefined } as NodeJS.ProcessEnv;
    execFile(process.execPath, [script], { cwd, env, encoding: "utf8", timeout: 90_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

jest.setTimeout(120_000);

test("the extractor finds blocks, honours the skip marker and the prelude", () => {
  const md = [
    "<!-- runnable: prelude",
    "const x = 1;",
    "-->",
    "```ts",
    "a();",
    "```",
    "```sh",
    "ls",
    "```",
    "<!-- runnable: skip (needs a GPU) -->",
    "",
    "```js",
    "b();",
    "```",
  ].join("\n");
  expect(extract(md)).toEqual({ prelude: "\nconst x = 1;\n\n", blocks: [{ line: 4, code: "a();" }], skipped: 1 });
});

test("README.md has runnable blocks, and skips stay rare", () => {
  const all = FILES.map((f) => extract(readFileSync(join(ROOT, f), "utf8")));
  expect(extract(readFileSync(join(ROOT, "README.md"), "utf8")).blocks.length).toBeGreaterThan(0);
  const blocks = all.reduce((n, d) => n + d.blocks.length, 0);
  const skipped = all.reduce((n, d) => n + d.skipped, 0);
  expect(skipped).toBeLessThanOrEqual(Math.max(2, Math.floor(blocks / 5)));
});

describe("every TypeScript/JavaScript block in the docs runs without throwing", () => {
  const cases = FILES.map((f) => [f, extract(readFileSync(join(ROOT, f), "utf8"))] as const).filter(([, d]) => d.blocks.length > 0);

  test.each(cases)("%s", async (file, doc) => {
    expect(existsSync(join(ROOT, "dist", "src", "index.js"))).toBe(true); // run `npm run build` first
    const dir = tempDir("runelog-docs-");
    try {
      // A user's project with runelog installed: node_modules/runelog is this package.
      mkdirSync(join(dir, "node_modules"));
      symlinkSync(ROOT, join(dir, "node_modules", "runelog"), "dir");
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
      // Each block is marked with its line, so a failure points at the doc.
      const source = [doc.prelude, ...doc.blocks.map((b) => `// ${file}:${b.line}\n${b.code}`)].join("\n");
      let js: string;
      try {
        js = transformSync(source, { loader: "ts", format: "esm", target: "node20" }).code;
      } catch (err) {
        throw new Error(`${file}: its code blocks do not compile: ${(err as Error).message}`);
      }
      const script = join(dir, "doc.mjs");
      writeFileSync(script, js);
      const r = await run(script, dir);
      if (r.code !== 0) throw new Error(`${file}'s code blocks failed (exit ${r.code}):\n${r.stderr}\n--- the script ---\n${source}`);
      expect(r.code).toBe(0);
    } finally {
      removeDir(dir);
    }
  });
});

test("installing the package runs none of our scripts (no prepare/install hooks: npm would warn or build on the user's machine)", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  for (const hook of ["prepare", "preinstall", "install", "postinstall"]) expect(pkg.scripts[hook]).toBeUndefined();
  expect(pkg.scripts.prepack).toMatch(/npm run build/); // `npm pack` / `npm publish` still ship built output
});
