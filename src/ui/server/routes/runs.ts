/** GET /api/runs (a search, paged, with the keys seen) and GET /api/runs/:runId (one run in full). */
import { Hono } from "hono";
import { InvalidInput, RunNotFound, runKeys, type JournalEvent } from "../../../index.js";
import type { RouteContext } from "../context.js";
import { encodeNumbers, intParam, param, params, sendJson, sendText } from "../http.js";

/** A run page shows this many of the run's events; /api/events?runId=…&after=<eventsNext> has the rest. */
const RUN_EVENTS = 500;

export function runsRoutes({ views }: RouteContext): Hono {
  return new Hono()
    .get("/runs", async (c) => {
      const view = views.of(c);
      const chosen = params(c, "experiment").filter(Boolean);
      const experiments = chosen.length > 0 ? chosen : undefined;
      const filter = param(c, "filter") || undefined;
      const orderBy = params(c, "orderBy").filter(Boolean);
      const offset = intParam(c, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(c, "limit", 100, 1, 100_000);
      const runs = await view.searchRuns({ experiments, filter, orderBy: orderBy.length > 0 ? orderBy : undefined });
      // Keys for columns and autocomplete: of every run in the experiments, not only those the filter kept.
      const all = filter === undefined ? runs : await view.searchRuns({ experiments });
      const page = runs.slice(offset, offset + limit);
      for (const run of page) encodeNumbers(run.metrics); // searchRuns' answers are our own copies
      return sendText(c, JSON.stringify({ total: runs.length, runs: page, keys: runKeys(all) }));
    })
    .get("/runs/:runId", async (c) => {
      const view = views.of(c);
      const runId = c.req.param("runId");
      const withHistory = booleanParam(param(c, "metricHistory"), "metricHistory", true);
      const details = await view.getRunDetails(runId);
      if (!details) throw new RunNotFound(runId);
      const metricCounts: Record<string, number> = {};
      for (const key in details.metricHistory) metricCounts[key] = details.metricHistory[key]!.length;
      const events: JournalEvent[] = [];
      let eventsNext: string | null = null;
      for await (const e of view.events({ runId })) {
        if (events.length === RUN_EVENTS) {
          eventsNext = events[events.length - 1]!.id;
          break;
        }
        events.push(e);
      }
      const { metricHistory, ...rest } = details;
      return sendJson(c, { ...rest, ...(withHistory ? { metricHistory } : {}), metricCounts, events, eventsNext });
    });
}

function booleanParam(text: string | undefined, name: string, fallback: boolean): boolean {
  if (text === undefined || text === "") return fallback;
  if (["1", "true", "yes"].includes(text)) return true;
  if (["0", "false", "no"].includes(text)) return false;
  throw new InvalidInput(name, `must be true or false, got ${JSON.stringify(text)}`);
}
