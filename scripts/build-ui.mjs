// Bundles the web UI (src/ui/web, Preact + uPlot) into dist/ui: app.js, app.css (every CSS file
// main.tsx imports, uPlot's included), and index.html and any images beside it, copied as they are.
// Runs at `npm run build`; users of the package get dist/ui and need no bundler.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const web = join(root, "src", "ui", "web");
const out = join(root, "dist", "ui");

rmSync(out, { recursive: true, force: true });
if (!existsSync(join(web, "main.tsx"))) {
  console.log("build-ui: no src/ui/web/main.tsx, no web UI built (runelog ui serves the API and a page saying so)");
  process.exit(0);
}
mkdirSync(out, { recursive: true });

// esbuild does not type-check: the front end's own tsconfig (DOM, Preact JSX) does.
if (existsSync(join(web, "tsconfig.json"))) {
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(web, "tsconfig.json")], { stdio: "inherit" });
}

await build({
  entryPoints: [join(web, "main.tsx")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
});

for (const name of readdirSync(web)) {
  if (/\.(html|svg|png|ico)$/.test(name)) copyFileSync(join(web, name), join(out, name));
}
