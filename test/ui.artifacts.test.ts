/** GET /api/runs/:runId/artifacts/<name>: the bytes, typed by extension, never a file outside the store. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UiApp } from "../src/ui/server/app.js";
import { openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, uiApp } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
let runId: string;
beforeEach(async () => {
  store = openStore("runelog-ui-art-");
  ui = uiApp(store.tracker);
  const run = await store.tracker.startRun({ experimentName: "art", ...QUIET });
  const files: Record<string, string | Buffer> = { "loss.png": Buffer.from([0x89, 0x50, 0x4e, 0x47]), "report.html": "<script>alert(1)</script>", "notes.txt": "plain", "data.bin": "\u0000\u0001" };
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(store.dir, name), content);
    await run.logArtifact(join(store.dir, name));
  }
  await run.end();
  runId = run.runId;
  writeFileSync(join(store.dir, "secret.txt"), "TOP SECRET");
});
afterEach(() => {
  ui.close();
  store.done();
});

test("an artifact's bytes with Content-Type by extension, nosniff, and a sandbox CSP", async () => {
  const png = await call(ui, `/api/runs/${runId}/artifacts/loss.png`);
  expect(png.status).toBe(200);
  expect(png.headers.get("content-type")).toBe("image/png");
  expect(png.headers.get("x-content-type-options")).toBe("nosniff");
  expect(png.headers.get("content-security-policy")).toMatch(/^sandbox/);
  expect(png.headers.get("content-disposition")).toMatch(/^inline/);
  expect(new Uint8Array(await png.arrayBuffer())).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
  const txt = await call(ui, `/api/runs/${runId}/artifacts/notes.txt`);
  expect(txt.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  expect(await txt.text()).toBe("plain");
  expect((await call(ui, `/api/runs/${runId}/artifacts/data.bin`)).headers.get("content-type")).toBe("application/octet-stream");
  expect((await call(ui, `/api/runs/${runId}/artifacts/notes.txt?download=1`)).headers.get("content-disposition")).toMatch(/^attachment; filename\*=UTF-8''notes\.txt/);
});

test("HTML (or SVG) from a run is never rendered as a page of ours: it is an attachment in a sandbox", async () => {
  const res = await call(ui, `/api/runs/${runId}/artifacts/report.html`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
  expect(res.headers.get("content-security-policy")).toMatch(/^sandbox/);
});

test("no way out of the store: '..', encoded dots and slashes, backslashes, empty segments, NUL", async () => {
  const attempts = [
    "..%2F..%2F..%2Fsecret.txt",
    "%2e%2e%2fsecret.txt",
    "notes.txt%2F..%2F..%2Fsecret.txt",
    "..%5C..%5Csecret.txt",
    "a//notes.txt",
    "notes.txt%00",
    "%2Fetc%2Fpasswd",
    "plots/..%2F..%2Fsecret.txt",
    "%252e%252e%252fsecret.txt",
  ];
  for (const attempt of attempts) {
    const res = await call(ui, `/api/runs/${runId}/artifacts/${attempt}`);
    const text = await res.text();
    expect({ attempt, ok: [400, 404].includes(res.status) }).toEqual({ attempt, ok: true });
    expect(text).not.toContain("TOP SECRET");
    expect(JSON.parse(text).error.code).toMatch(/INVALID_INPUT|ARTIFACT_NOT_FOUND|NOT_FOUND/);
  }
  // a raw ../ is folded away by URL parsing before any route sees it: it cannot reach the artifact route
  const raw = await call(ui, `/api/runs/${runId}/artifacts/../../../../secret.txt`);
  expect(await raw.text()).not.toContain("TOP SECRET");
});

test("unknown artifacts and runs are 404", async () => {
  expect(await errorOf(await call(ui, `/api/runs/${runId}/artifacts/missing.png`))).toMatchObject({ status: 404, code: "ARTIFACT_NOT_FOUND" });
  expect(await errorOf(await call(ui, `/api/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/artifacts/loss.png`))).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
});
