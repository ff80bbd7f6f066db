/** Starts the UI server on a socket: the URL to open, and a close() that leaves nothing running. */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { RuneLog } from "../../index.js";
import { createUiApp, type UiApp } from "./app.js";

export interface UiServerOptions {
  tracker: RuneLog;
  host?: string;
  /** 0 picks a free port. Default 5000. */
  port?: number;
  readOnly?: boolean;
  /** Default: $RUNELOG_UI_TOKEN, else random. */
  token?: string;
  staticDir?: string;
}

export interface UiServer {
  /** The URL to open, with the token: it sets the cookie and then drops the token from the address bar. */
  url: string;
  host: string;
  port: number;
  token: string;
  /** How many event streams are open. */
  readonly streams: number;
  close(): Promise<void>;
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? (process.env.RUNELOG_UI_TOKEN || randomBytes(24).toString("base64url"));
  // The app needs the bound port (Host check, cookie name), and with --port 0 that is known only once listening.
  let ui: UiApp | undefined;
  const server = serve({ fetch: (req) => (ui ? ui.app.fetch(req) : new Response("starting", { status: 503 })), hostname: host, port: options.port ?? 5000 }) as Server;
  const port = await new Promise<number>((resolve, reject) => {
    server.once("listening", () => resolve((server.address() as AddressInfo).port));
    server.once("error", reject);
  });
  const app = (ui = createUiApp({ tracker: options.tracker, token, host, port, readOnly: Boolean(options.readOnly), staticDir: options.staticDir }));
  // Bound to every address, this machine's loopback is the address to open (browsers refuse 0.0.0.0 more and more).
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/?token=${encodeURIComponent(token)}`,
    host,
    port,
    token,
    get streams() {
      return app.hub.clients;
    },
    close: () =>
      new Promise<void>((resolve) => {
        app.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
