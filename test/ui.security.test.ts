/** Who may use the UI server: Host (DNS rebinding), the token, write rules, read-only, headers, static files. */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UiApp } from "../src/ui/server/app.js";
import { hostAllowed } from "../src/ui/server/security.js";
import { openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, HOST, PORT, TOKEN, uiApp, write } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
beforeEach(() => {
  store = openStore("runelog-ui-sec-");
  ui = uiApp(store.tracker);
});
afterEach(() => {
  ui.close();
  store.done();
});

test("every /api/ request needs the token, as a Bearer header or the cookie", async () => {
  expect(await errorOf(await call(ui, "/api/experiments", { headers: { authorization: "" } }))).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  expect(await errorOf(await call(ui, "/api/experiments", { headers: { authorization: "Bearer wrong" } }))).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
  expect(await errorOf(await call(ui, "/api/experiments", { headers: { authorization: "", cookie: `runelog_token_${PORT}=nope` } }))).toMatchObject({ status: 401 });
  expect((await call(ui, "/api/experiments", { headers: { authorization: "", cookie: `runelog_token_${PORT}=${TOKEN}` } })).status).toBe(200);
  expect((await call(ui, "/api/experiments")).status).toBe(200);
  // another server's cookie (other port) is not ours
  expect((await call(ui, "/api/experiments", { headers: { authorization: "", cookie: `runelog_token_5000=${TOKEN}` } })).status).toBe(401);
});

test("the printed URL sets an HttpOnly SameSite=Strict cookie and redirects to the same page without the token", async () => {
  const res = await call(ui, `/?token=${TOKEN}`, { headers: { authorization: "" } });
  expect(res.status).toBe(302);
  expect(res.headers.get("location")).toBe("/");
  const cookie = res.headers.get("set-cookie")!;
  expect(cookie).toContain(`runelog_token_${PORT}=${TOKEN}`);
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  const deep = await call(ui, `/runs?experiment=1&token=${TOKEN}&asOf=x`, { headers: { authorization: "" } });
  expect(deep.headers.get("location")).toBe("/runs?experiment=1&asOf=x");
  const bad = await call(ui, "/?token=guess", { headers: { authorization: "" } });
  expect(bad.status).toBe(401);
  expect(bad.headers.get("set-cookie")).toBeNull();
});

test("another Host is 403 on every path (DNS rebinding); the bound host and localhost with our port are fine", async () => {
  for (const host of ["evil.example", `evil.example:${PORT}`, "127.0.0.1:80", `localhost:${PORT + 1}`, `127.0.0.1.nip.io:${PORT}`]) {
    for (const path of ["/api/experiments", "/", `/?token=${TOKEN}`]) {
      const res = await call(ui, path, { headers: { host } });
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe("FORBIDDEN_HOST");
    }
  }
  expect((await call(ui, "/api/experiments", { headers: { host: `localhost:${PORT}` } })).status).toBe(200);
  expect((await call(ui, "/api/experiments", { headers: { host: HOST } })).status).toBe(200);
});

test("hostAllowed: bound name, localhost, loopback literals; a wildcard bind allows IP literals but no names", () => {
  const o = { host: "127.0.0.1", port: 8080 };
  expect(hostAllowed("127.0.0.1:8080", o)).toBe(true);
  expect(hostAllowed("LOCALHOST:8080", o)).toBe(true);
  expect(hostAllowed("[::1]:8080", o)).toBe(true);
  expect(hostAllowed(undefined, o)).toBe(false);
  expect(hostAllowed("127.0.0.1", o)).toBe(false);
  expect(hostAllowed("10.0.0.5:8080", o)).toBe(false);
  expect(hostAllowed("127.0.0.1:8080@evil", o)).toBe(false);
  const any = { host: "0.0.0.0", port: 80 };
  expect(hostAllowed("10.0.0.5", any)).toBe(true);
  expect(hostAllowed("[fe80::1]", any)).toBe(true);
  expect(hostAllowed("attacker.example", any)).toBe(false);
});

async function registeredModel() {
  const run = await store.tracker.startRun({ experimentName: "reg", ...QUIET });
  await run.logModel({ w: [1, 2] }, "model.json");
  await run.end();
  await store.tracker.registerModel(run.runId, "model.json", "clf");
  return run.runId;
}

test("writes need application/json (415), a same-origin Origin when sent (403), and the token (401)", async () => {
  await registeredModel();
  const path = "/api/models/clf/aliases/champion";
  const noType = await call(ui, path, { method: "PUT", headers: { origin: `http://${HOST}` }, body: JSON.stringify({ version: "1" }) });
  expect(await errorOf(noType)).toMatchObject({ status: 415, code: "UNSUPPORTED_MEDIA_TYPE" });
  const form = await call(ui, path, { method: "PUT", headers: { "content-type": "text/plain" }, body: JSON.stringify({ version: "1" }) });
  expect(form.status).toBe(415);
  for (const origin of ["http://evil.example", "null", `https://${HOST}`, `http://localhost:${PORT + 1}`]) {
    expect(await errorOf(await write(ui, "PUT", path, { version: "1" }, { origin }))).toMatchObject({ status: 403, code: "FORBIDDEN_ORIGIN" });
  }
  expect((await write(ui, "PUT", path, { version: "1" }, { authorization: "" })).status).toBe(401);
  expect(await store.tracker.getModelVersions("clf")).toEqual([expect.objectContaining({ aliases: [] })]);
  const ok = await write(ui, "PUT", path, { version: "1" });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ aliases: { champion: "1" } });
  const noOrigin = await write(ui, "DELETE", path, undefined, { origin: "" }); // a script, not a browser
  expect(await noOrigin.json()).toEqual({ aliases: {} });
});

test("--read-only: every write is 403 and nothing is written; reads still work", async () => {
  const runId = await registeredModel();
  const ro = uiApp(store.tracker, { readOnly: true });
  try {
    const before = [];
    for await (const e of store.tracker.events()) before.push(e.id);
    const attempts: Array<[string, string, unknown]> = [
      ["POST", "/api/models/clf/versions", { runId, artifactName: "model.json" }],
      ["PUT", "/api/models/clf/aliases/champion", { version: "1" }],
      ["DELETE", "/api/models/clf/aliases/champion", undefined],
      ["PATCH", "/api/models/clf/versions/1/tags", { set: { a: "b" } }],
    ];
    for (const [method, path, body] of attempts) expect(await errorOf(await write(ro, method, path, body))).toMatchObject({ status: 403, code: "READ_ONLY_SERVER" });
    const after = [];
    for await (const e of store.tracker.events()) after.push(e.id);
    expect(after).toEqual(before);
    expect((await call(ro, "/api/models")).status).toBe(200);
  } finally {
    ro.close();
  }
});

test("secure headers on pages and API answers: CSP without other hosts, nosniff, no framing, no referrer; API not cached", async () => {
  for (const path of ["/", "/api/experiments"]) {
    const res = await call(ui, path);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/https?:/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  }
  expect((await call(ui, "/api/experiments")).headers.get("cache-control")).toBe("no-store");
});

test("static files come from dist/ui only: index.html for page paths, 404 for missing files and any way out", async () => {
  const root = join(store.dir, "ui");
  mkdirSync(root);
  writeFileSync(join(root, "index.html"), "<!doctype html><title>runelog</title>");
  writeFileSync(join(root, "app.js"), "console.log(1)");
  writeFileSync(join(store.dir, "secret.txt"), "secret");
  symlinkSync(join(store.dir, "secret.txt"), join(root, "link.txt"));
  const site = uiApp(store.tracker, { staticDir: root });
  try {
    const js = await call(site, "/app.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    for (const page of ["/", "/runs", "/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV"]) {
      const res = await call(site, page);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("<title>runelog</title>");
    }
    for (const path of ["/missing.js", "/..%2fsecret.txt", "/%2e%2e/secret.txt", "/link.txt", "/..%5csecret.txt"]) {
      const res = await call(site, path);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain("secret");
    }
  } finally {
    site.close();
  }
  const unbuilt = await call(ui, "/");
  expect(unbuilt.status).toBe(503);
  expect(await unbuilt.text()).toContain("npm run build");
});
