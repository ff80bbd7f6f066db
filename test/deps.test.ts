/** The arrows of DESIGN.md hold: scripts/check-deps.mjs finds no import the wrong way and no cycle, and does find planted ones. */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { removeDir, tempDir } from "./helpers/store.js";

const SCRIPT = join(__dirname, "..", "scripts", "check-deps.mjs");

function check(root?: string) {
  const r = spawnSync(process.execPath, [SCRIPT, ...(root ? [root] : [])], { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

test("this code base: every import points the way DESIGN.md says, and no modules import each other in a cycle", () => {
  const { code, out } = check();
  expect(out).toMatch(/^dependencies ok: \d+ modules/m);
  expect(code).toBe(0);
});

describe("a tree with planted violations", () => {
  let root: string;
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = tempDir("runelog-deps-");
    put("src/events.ts", "export type E = 1;\n");
    put("src/tracker.ts", 'import { x } from "./store/index.js";\nexport const t = x;\n');
    put("src/store/index.ts", 'export const x = 1;\n');
    put("src/store/types.ts", 'import type { E } from "../events.js";\nexport type T = E;\n');
    put("projections/runs.ts", 'import type { E } from "../src/events.js";\nexport type R = E;\n');
  });
  afterEach(() => removeDir(root));

  test("a clean tree passes", () => {
    expect(check(root)).toEqual({ code: 0, out: expect.stringMatching(/dependencies ok: 5 modules/) });
  });

  test.each([
    ["a projection importing the store", "projections/bad.ts", 'import { x } from "../src/store/index.js";\n', /projections\/bad\.ts imports src\/store\/index\.ts: projections import src\/events\.ts only/],
    ["a backend importing the tracker", "src/store/file/bad.ts", 'import { t } from "../../tracker.js";\n', /src\/store\/file\/bad\.ts imports src\/tracker\.ts: a backend never imports/],
    ["a journal module importing the api", "src/journal/bad.ts", 'export { a } from "../api/context.js";\n', /src\/journal\/bad\.ts imports src\/api\/context\.ts/],
    ["the api importing the tracker", "src/api/bad.ts", 'const m = import("../tracker.js");\n', /src\/api\/bad\.ts imports src\/tracker\.ts: the api never imports/],
    ["the CLI reaching into a backend", "src/cli/bad.ts", 'import "../store/file/index.js";\n', /src\/cli\/bad\.ts imports src\/store\/file\/index\.ts/],
  ])("%s is reported", (_label, path, text, message) => {
    put(path, text);
    const { code, out } = check(root);
    expect(out).toMatch(message);
    expect(code).toBe(1);
  });

  test("a cycle is reported with the path that closes it", () => {
    put("src/a.ts", 'import { b } from "./b.js";\nexport const a = b;\n');
    put("src/b.ts", 'import type { a } from "./a.js";\nexport const b = 1 as unknown as typeof a;\n');
    const { code, out } = check(root);
    expect(out).toContain("import cycle: src/a.ts -> src/b.ts -> src/a.ts");
    expect(code).toBe(1);
  });

  test("commented-out imports do not count", () => {
    put("projections/ok.ts", '// import { x } from "../src/store/index.js";\n/* import "../src/tracker.js"; */\nexport const ok = 1;\n');
    expect(check(root).code).toBe(0);
  });
});
