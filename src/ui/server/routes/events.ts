/** GET /api/events (pages of the stored history) and GET /api/stream (live, server-sent events). */
import { Hono } from "hono";
import { decodeTime } from "ulid";
import { InvalidInput, type JournalEvent } from "../../../index.js";
import type { RouteContext } from "../context.js";
import { intParam, param, params, sendJson } from "../http.js";
import { instantKey } from "../views.js";

const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function eventsRoutes({ views, hub }: RouteContext): Hono {
  return new Hono()
    .get("/events", async (c) => {
      const view = views.of(c);
      const experiment = param(c, "experiment") || undefined;
      const runId = param(c, "runId") || undefined;
      const types = new Set(params(c, "type").flatMap((t) => t.split(",")).filter(Boolean));
      const since = optionalInstant(param(c, "since"), "since");
      const until = optionalInstant(param(c, "until"), "until");
      const after = param(c, "after") || undefined;
      if (after !== undefined && !EVENT_ID.test(after)) throw new InvalidInput("after", `must be an event id (the \`next\` of the previous page), got ${JSON.stringify(after)}`);
      const limit = intParam(c, "limit", 500, 1, 10_000);
      // An event id is made from its event's timestamp: the page after it starts no earlier than that.
      const afterTime = after === undefined ? undefined : new Date(decodeTime(after)).toISOString();
      const from = afterTime !== undefined && (since === undefined || afterTime > instantTime(since)) ? afterTime : since;
      const events: JournalEvent[] = [];
      let found = after === undefined;
      let more = false;
      for await (const e of view.events({ experiment, runId, since: from, until })) {
        if (!found) {
          found = e.id === after;
          continue;
        }
        if (types.size > 0 && !types.has(e.type)) continue;
        if (events.length === limit) {
          more = true;
          break;
        }
        events.push(e);
      }
      if (!found) throw new InvalidInput("after", `event ${after} is not among the events this query selects`);
      return sendJson(c, { events, next: more ? events[events.length - 1]!.id : null });
    })
    .get("/stream", async (c) => {
      if (param(c, "asOf")) throw new InvalidInput("asOf", "the live stream has no past: read /api/events?until= instead");
      const lastEventId = c.req.header("last-event-id") ?? (param(c, "lastEventId") || undefined);
      const body = await hub.open(lastEventId, c.req.raw.signal);
      return new Response(body, {
        headers: { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
      });
    });
}

function optionalInstant(text: string | undefined, argument: string): string | undefined {
  return text === undefined || text === "" ? undefined : instantKey(argument, text);
}

/** The time an instant key stands for (an event id's own timestamp). */
function instantTime(key: string): string {
  return EVENT_ID.test(key) ? new Date(decodeTime(key)).toISOString() : key;
}
