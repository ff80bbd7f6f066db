/** A UI app on a fresh store, and requests to it the way the page (or a script) makes them. */
import { createUiApp, type UiApp } from "../../src/ui/server/app.js";
import type { RuneLog } from "../../src/index.js";

export const TOKEN = "test-token-0123456789";
export const PORT = 5123;
export const HOST = `127.0.0.1:${PORT}`;

export function uiApp(tracker: RuneLog, options: { readOnly?: boolean; staticDir?: string } = {}): UiApp {
  return createUiApp({ tracker, token: TOKEN, host: "127.0.0.1", port: PORT, readOnly: Boolean(options.readOnly), staticDir: options.staticDir });
}

/** A request with the right Host and the token as a Bearer header, unless `headers` say otherwise. */
export function call(ui: UiApp, path: string, init: Omit<RequestInit, "headers"> & { headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { host: HOST, authorization: `Bearer ${TOKEN}`, ...init.headers };
  for (const k of Object.keys(headers)) if (headers[k] === "") delete headers[k];
  return Promise.resolve(ui.app.request(`http://${HOST}${path}`, { ...init, headers }));
}

/** GET and parse JSON, failing with the body when the status is not the one expected. */
export async function getJson<T = any>(ui: UiApp, path: string, status = 200): Promise<T> {
  const res = await call(ui, path);
  const text = await res.text();
  if (res.status !== status) throw new Error(`GET ${path}: expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A JSON write as our own page sends it. */
export function write(ui: UiApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(ui, path, {
    method,
    headers: { "content-type": "application/json", origin: `http://${HOST}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The `{ error: { code, message } }` of a failed answer, with its status. */
export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
}
