/** What the route modules are handed: the views (live and `?asOf=`) and the live event fan-out. */
import type { RuneLog } from "../../index.js";
import type { StreamHub } from "./stream.js";
import type { Views } from "./views.js";

export interface RouteContext {
  live: RuneLog;
  views: Views;
  hub: StreamHub;
}
