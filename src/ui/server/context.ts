/** What the route modules are handed: the views (live and `?asOf=`) and the live event fan-out. */
import type { StreamHub } from "./stream.js";
import type { Views } from "./views.js";

export interface RouteContext {
  /** `views.live` is the tracker itself; writes go through it too (or through a view, which refuses them). */
  views: Views;
  hub: StreamHub;
}
