/** GET /api/experiments: the summaries, with run counts by status. */
import { Hono } from "hono";
import type { RunStatus } from "../../../index.js";
import { sendJson } from "../http.js";
import type { RouteContext } from "../context.js";

export function experimentsRoutes({ views }: RouteContext): Hono {
  return new Hono().get("/experiments", async (c) => {
    const view = views.of(c);
    const summaries = await view.getExperimentSummaries();
    const out = [];
    for (const s of summaries) {
      const byStatus: Record<RunStatus, number> = { RUNNING: 0, FINISHED: 0, FAILED: 0, KILLED: 0 };
      for (const run of await view.getExperimentRuns(s.experimentId)) byStatus[run.status]++;
      out.push({ ...s, byStatus });
    }
    return sendJson(c, out);
  });
}
