/** The registry: models, versions, and the writes (register, aliases, tags), all through the library. */
import { Hono } from "hono";
import { InvalidInput, type RuneLog } from "../../../index.js";
import type { RouteContext } from "../context.js";
import { jsonBody, sendJson } from "../http.js";

export function modelsRoutes({ views }: RouteContext): Hono {
  return new Hono()
    .get("/models", async (c) => {
      const view = views.of(c);
      const out = [];
      for (const name of await view.listRegisteredModels()) {
        const versions = await view.getModelVersions(name); // highest first
        out.push({ name, latestVersion: versions[0]?.version ?? null, versions: versions.length, aliases: aliasesOf(versions) });
      }
      return sendJson(c, out);
    })
    .get("/models/:name/versions", async (c) => sendJson(c, await views.of(c).getModelVersions(c.req.param("name"))))
    .post("/models/:name/versions", async (c) => {
      const view = views.of(c);
      const body = await jsonBody(c);
      const runId = stringField(body, "runId");
      const artifactName = stringField(body, "artifactName");
      const version = await view.registerModel(runId, artifactName, c.req.param("name"), body.tags as Record<string, string> | undefined);
      return sendJson(c, { version }, 201);
    })
    .put("/models/:name/aliases/:alias", async (c) => {
      const view = views.of(c);
      const name = c.req.param("name");
      const version = (await jsonBody(c)).version;
      await view.setModelAlias(name, c.req.param("alias"), typeof version === "number" ? String(version) : (version as string));
      return sendJson(c, { aliases: await modelAliases(view, name) });
    })
    .delete("/models/:name/aliases/:alias", async (c) => {
      const view = views.of(c);
      const name = c.req.param("name");
      await view.deleteModelAlias(name, c.req.param("alias"));
      return sendJson(c, { aliases: await modelAliases(view, name) });
    })
    .patch("/models/:name/versions/:version/tags", async (c) => {
      const view = views.of(c);
      const body = await jsonBody(c);
      const name = c.req.param("name");
      const version = c.req.param("version");
      for (const k of Object.keys(body)) if (k !== "set" && k !== "remove") throw new InvalidInput(`body.${k}`, "is not a field; send { set?: { key: value }, remove?: [key] }");
      const { set, remove } = body;
      if (set !== undefined && (typeof set !== "object" || set === null || Array.isArray(set))) throw new InvalidInput("set", "must be an object of tag values");
      if (remove !== undefined && !(Array.isArray(remove) && remove.every((k) => typeof k === "string" && k !== ""))) throw new InvalidInput("remove", "must be a list of tag keys");
      let tags = await view.getModelTags(name, version); // ModelVersionNotFound before anything is written
      if (set !== undefined && Object.keys(set).length > 0) tags = await view.addModelTags(name, version, set as Record<string, string>);
      if (remove !== undefined && remove.length > 0) tags = await view.removeModelTags(name, version, remove as string[]);
      return sendJson(c, tags);
    });
}

function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== "string") throw new InvalidInput(name, `must be a string, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
  return v;
}

function aliasesOf(versions: Array<{ version: string; aliases: string[] }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of versions) for (const a of v.aliases) out[a] = v.version;
  return out;
}

async function modelAliases(view: RuneLog, name: string): Promise<Record<string, string>> {
  return aliasesOf(await view.getModelVersions(name));
}
