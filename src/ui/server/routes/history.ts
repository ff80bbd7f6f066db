/** GET /api/diff (what changed between two instants) and GET /api/verify (the journals checked). */
import { Hono } from "hono";
import { InvalidInput, type JournalEvent, type RuneLog } from "../../../index.js";
import type { RouteContext } from "../context.js";
import { param, sendJson } from "../http.js";
import { instantKey, type Views } from "../views.js";

export function historyRoutes({ views }: RouteContext): Hono {
  return new Hono()
    .get("/diff", async (c) => {
      const view = views.of(c);
      const fromText = param(c, "from");
      if (!fromText) throw new InvalidInput("from", "is required: the earlier instant (ISO time, epoch milliseconds or event id)");
      const from = instantKey("from", fromText);
      const toText = param(c, "to");
      const to = toText ? instantKey("to", toText) : undefined;
      return sendJson(c, await diff(view, views, from, to));
    })
    .get("/verify", async (c) => sendJson(c, await views.of(c).verify()));
}

interface At {
  at: string;
  eventId: string;
}

export interface Diff {
  runsStarted: Array<At & { runId: string; experimentId: string; parentRunId: string | null }>;
  runsEnded: Array<At & { runId: string; status: string }>;
  paramsChanged: Array<At & { runId: string; key: string; before?: unknown; after: unknown }>;
  aliasesMoved: Array<At & { modelName: string; alias: string; before: string | null; after: string | null }>;
  deleted: Array<At & { kind: "experiment" | "run"; id: string }>;
}

/**
 * The events after `from` up to `to` (as asOf draws the line: an event at `from` belongs to the
 * before), folded into what changed. Params and aliases report their net change, compared with the
 * store as of `from`; a value set and set back again is no change.
 */
async function diff(view: RuneLog, views: Views, from: string, to: string | undefined): Promise<Diff> {
  // `since` includes the events at `from` itself, which asOf(from) already counts: they are left out.
  const atFrom = new Set<string>();
  for await (const e of view.events({ since: from, until: from })) atFrom.add(e.id);
  const out: Diff = { runsStarted: [], runsEnded: [], paramsChanged: [], aliasesMoved: [], deleted: [] };
  const params = new Map<string, { runId: string; key: string; after: unknown } & At>();
  const aliases = new Map<string, { modelName: string; alias: string; after: string | null } & At>();
  for await (const e of view.events({ since: from, ...(to === undefined ? {} : { until: to }) }) as AsyncIterable<JournalEvent>) {
    if (atFrom.has(e.id)) continue;
    const at = { at: e.ts, eventId: e.id };
    switch (e.type) {
      case "RunStarted":
        out.runsStarted.push({ runId: e.data.runId, experimentId: e.data.experimentId, parentRunId: e.data.parentRunId, ...at });
        break;
      case "RunEnded":
        out.runsEnded.push({ runId: e.data.runId, status: e.data.status, ...at });
        break;
      case "RunDeleted":
        out.deleted.push({ kind: "run", id: e.data.runId, ...at });
        break;
      case "ExperimentDeleted":
        out.deleted.push({ kind: "experiment", id: e.data.experimentId, ...at });
        break;
      case "ParamsLogged":
        for (const [key, after] of Object.entries(e.data.params)) params.set(JSON.stringify([e.data.runId, key]), { runId: e.data.runId, key, after, ...at });
        break;
      case "ModelAliasSet":
      case "ModelAliasDeleted": {
        const { modelName, alias } = e.data;
        aliases.set(JSON.stringify([modelName, alias]), { modelName, alias, after: e.type === "ModelAliasSet" ? e.data.version : null, ...at });
        break;
      }
    }
  }
  const before = views.at(from);
  const runsBefore = new Map<string, Record<string, unknown> | null>();
  for (const p of params.values()) {
    if (!runsBefore.has(p.runId)) runsBefore.set(p.runId, (await before.getRun(p.runId))?.params ?? null);
    const old = runsBefore.get(p.runId);
    const had = old != null && Object.prototype.hasOwnProperty.call(old, p.key);
    if (had && JSON.stringify(old[p.key]) === JSON.stringify(p.after)) continue;
    out.paramsChanged.push(had ? { ...p, before: old[p.key] } : p);
  }
  const modelsBefore = new Map<string, Record<string, string>>();
  for (const a of aliases.values()) {
    if (!modelsBefore.has(a.modelName)) {
      const map: Record<string, string> = {};
      for (const v of await before.getModelVersions(a.modelName)) for (const name of v.aliases) map[name] = v.version;
      modelsBefore.set(a.modelName, map);
    }
    const was = modelsBefore.get(a.modelName)![a.alias] ?? null;
    if (was !== a.after) out.aliasesMoved.push({ ...a, before: was });
  }
  return out;
}
