/** The registry over HTTP: models, versions, and the writes (register, aliases, tags) through the library. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { UiApp } from "../src/ui/server/app.js";
import { openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, getJson, uiApp, write } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
let runId: string;
beforeEach(async () => {
  store = openStore("runelog-ui-reg-");
  ui = uiApp(store.tracker);
  const run = await store.tracker.startRun({ experimentName: "reg", ...QUIET });
  await run.logModel({ w: [1, 2] }, "model.json");
  const file = join(store.dir, "weights.bin");
  writeFileSync(file, Buffer.from([1, 2, 3]));
  await run.logArtifact(file);
  await run.end();
  runId = run.runId;
});
afterEach(() => {
  ui.close();
  store.done();
});

async function eventCount(): Promise<number> {
  let n = 0;
  for await (const _ of store.tracker.events()) n++;
  return n;
}

test("register, list, alias, tags: each answer has the documented shape and the library sees the change", async () => {
  expect(await getJson(ui, "/api/models")).toEqual([]);
  const res = await write(ui, "POST", "/api/models/clf/versions", { runId, artifactName: "model.json", tags: { stage: "dev" } });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ version: "1" });
  expect(await (await write(ui, "POST", "/api/models/clf/versions", { runId, artifactName: "weights.bin" })).json()).toEqual({ version: "2" });
  expect(await (await write(ui, "PUT", "/api/models/clf/aliases/champion", { version: "1" })).json()).toEqual({ aliases: { champion: "1" } });
  expect(await (await write(ui, "PUT", "/api/models/clf/aliases/challenger", { version: 2 })).json()).toEqual({ aliases: { champion: "1", challenger: "2" } });
  expect(await getJson(ui, "/api/models")).toEqual([{ name: "clf", latestVersion: "2", versions: 2, aliases: { champion: "1", challenger: "2" } }]);
  const versions = await getJson(ui, "/api/models/clf/versions");
  expect(versions.map((v: { version: string }) => v.version)).toEqual(["2", "1"]);
  expect(versions[1]).toMatchObject({ modelName: "clf", sourceRunId: runId, artifactName: "model.json", tags: { stage: "dev" }, aliases: ["champion"] });
  const tags = await write(ui, "PATCH", "/api/models/clf/versions/1/tags", { set: { owner: "ana" }, remove: ["stage"] });
  expect(await tags.json()).toEqual({ owner: "ana" });
  expect(await store.tracker.getModelTags("clf", "1")).toEqual({ owner: "ana" });
  expect(await (await write(ui, "DELETE", "/api/models/clf/aliases/champion")).json()).toEqual({ aliases: { challenger: "2" } });
  expect(await store.tracker.loadRegisteredModel("clf", "@challenger")).toEqual(new Uint8Array([1, 2, 3]));
  expect(await getJson(ui, "/api/models/unknown/versions")).toEqual([]);
});

test("bad writes are 400/404 with the error's code and write nothing; a write on ?asOf= is 409", async () => {
  await store.tracker.registerModel(runId, "model.json", "clf");
  const before = await eventCount();
  const cases: Array<[string, string, unknown, number, string]> = [
    ["POST", "/api/models/clf/versions", { runId }, 400, "INVALID_INPUT"],
    ["POST", "/api/models/clf/versions", { runId, artifactName: "nope" }, 404, "ARTIFACT_NOT_FOUND"],
    ["POST", "/api/models/clf/versions", { runId: "01ARZ3NDEKTSV4RRFFQ69G5FAV", artifactName: "model.json" }, 404, "RUN_NOT_FOUND"],
    ["POST", "/api/models/clf/versions", [1, 2], 400, "INVALID_INPUT"],
    ["PUT", "/api/models/clf/aliases/champion", { version: "9" }, 404, "MODEL_VERSION_NOT_FOUND"],
    ["PUT", "/api/models/clf/aliases/latest", { version: "1" }, 400, "INVALID_INPUT"],
    ["PUT", "/api/models/clf/aliases/champion", {}, 400, "INVALID_INPUT"],
    ["DELETE", "/api/models/clf/aliases/none", undefined, 404, "MODEL_VERSION_NOT_FOUND"],
    ["DELETE", "/api/models/ghost/aliases/a", undefined, 404, "MODEL_NOT_FOUND"],
    ["PATCH", "/api/models/clf/versions/7/tags", { set: { a: "b" } }, 404, "MODEL_VERSION_NOT_FOUND"],
    ["PATCH", "/api/models/clf/versions/1/tags", { set: { a: 1 } }, 400, "INVALID_INPUT"],
    ["PATCH", "/api/models/clf/versions/1/tags", { set: { a: "b" }, remove: "a" }, 400, "INVALID_INPUT"],
    ["PATCH", "/api/models/clf/versions/1/tags", { add: { a: "b" } }, 400, "INVALID_INPUT"],
  ];
  for (const [method, path, body, status, code] of cases) {
    expect({ method, path, ...(await errorOf(await write(ui, method, path, body))) }).toMatchObject({ method, path, status, code });
  }
  const notJson = await call(ui, "/api/models/clf/versions", { method: "POST", headers: { "content-type": "application/json" }, body: "{runId:" });
  expect(await errorOf(notJson)).toMatchObject({ status: 400, code: "INVALID_INPUT" });
  const past = await write(ui, "PUT", `/api/models/clf/aliases/champion?asOf=${new Date().toISOString()}`, { version: "1" });
  expect(await errorOf(past)).toMatchObject({ status: 409, code: "READ_ONLY" });
  expect(await eventCount()).toBe(before);
});

test("models as of an earlier moment: versions and aliases as they were", async () => {
  await store.tracker.registerModel(runId, "model.json", "clf");
  let cut = "";
  for await (const e of store.tracker.events()) cut = e.id;
  await store.tracker.registerModel(runId, "weights.bin", "clf");
  await store.tracker.setModelAlias("clf", "prod", "2");
  expect(await getJson(ui, `/api/models?asOf=${cut}`)).toEqual([{ name: "clf", latestVersion: "1", versions: 1, aliases: {} }]);
  expect((await getJson(ui, `/api/models/clf/versions?asOf=${cut}`)).map((v: { version: string }) => v.version)).toEqual(["1"]);
});
