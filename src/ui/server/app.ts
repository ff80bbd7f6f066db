/**
 * The UI server as a hono app: security first (Host, token, write rules, headers), then the JSON
 * API under /api/, then the built front end. `app.request()` serves it without a socket (tests).
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { RuneLog } from "../../index.js";
import type { RouteContext } from "./context.js";
import { serveUi } from "./files.js";
import { errorResponse, HttpError } from "./http.js";
import { experimentsRoutes } from "./routes/experiments.js";
import { artifactsRoutes } from "./routes/artifacts.js";
import { eventsRoutes } from "./routes/events.js";
import { historyRoutes } from "./routes/history.js";
import { metricsRoutes } from "./routes/metrics.js";
import { modelsRoutes } from "./routes/models.js";
import { runsRoutes } from "./routes/runs.js";
import { apiGuard, CONTENT_SECURITY_POLICY, hostCheck, type SecurityOptions, tokenLanding } from "./security.js";
import { StreamHub } from "./stream.js";
import { Views } from "./views.js";

export interface UiAppOptions extends SecurityOptions {
  tracker: RuneLog;
  /** The built front end (dist/ui); without it pages say how to build it, the API still works. */
  staticDir?: string;
  /** How many `?asOf=` views stay cached (each holds the projections of the store at its instant). Default 8. */
  cachedViews?: number;
}

export interface UiApp {
  app: Hono;
  hub: StreamHub;
  views: Views;
  /** Ends the live follower and every event stream. */
  close(): void;
}

export function createUiApp(options: UiAppOptions): UiApp {
  const views = new Views(options.tracker, options.cachedViews);
  const hub = new StreamHub(options.tracker);
  const ctx: RouteContext = { views, hub };
  const security: SecurityOptions = { token: options.token, host: options.host, port: options.port, readOnly: options.readOnly };

  const api = new Hono()
    .use(apiGuard(security))
    .use(async (c, next) => {
      await next();
      c.header("Cache-Control", "no-store");
    });
  for (const routes of [experimentsRoutes, runsRoutes, metricsRoutes, artifactsRoutes, modelsRoutes, eventsRoutes, historyRoutes]) api.route("/", routes(ctx));
  api.all("*", (c) => {
    throw new HttpError(404, "NOT_FOUND", `no API route ${c.req.method} ${c.req.path}`);
  });

  const app = new Hono()
    .use(hostCheck(security))
    .use(
      secureHeaders({
        contentSecurityPolicy: undefined,
        referrerPolicy: "no-referrer",
        xFrameOptions: "DENY",
        crossOriginResourcePolicy: "same-origin",
        crossOriginOpenerPolicy: "same-origin",
        strictTransportSecurity: false, // plain http on loopback
      }),
    )
    .use(async (c, next) => {
      await next();
      if (!c.res.headers.has("Content-Security-Policy")) c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    })
    .use(tokenLanding(security));
  app.route("/api", api);
  app.get("*", (c) => serveUi(c, options.staticDir));
  app.onError((err) => errorResponse(err));
  app.notFound((c) => c.text("not found", 404));

  return { app, hub, views, close: () => hub.close() };
}
