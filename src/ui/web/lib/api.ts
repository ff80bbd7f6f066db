/** The one way the page talks to the server: same-origin JSON over /api, with the global asOf on every read. */
import { currentQuery } from "./url";
import type { WireNumber } from "./types";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The asOf of the current URL, or null for "now". */
export function asOf(): string | null {
  return currentQuery().get("asOf");
}

export function apiUrl(path: string, params: Record<string, string | number | string[] | null | undefined> = {}, withAsOf = true): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value == null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) q.append(key, String(v));
  }
  const at = asOf();
  // `asOf` given explicitly (even null) overrides the page's: verify and the timeline's bounds ask the present.
  if (withAsOf && at && !("asOf" in params)) q.set("asOf", at);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    if (!res.ok) throw new ApiError(res.status, "HTTP", text.slice(0, 500) || res.statusText);
    throw new ApiError(res.status, "BadJSON", "The server sent something that is not JSON.");
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, error?.code ?? `HTTP ${res.status}`, error?.message ?? res.statusText);
  }
  return body as T;
}

export async function getJson<T>(path: string, params?: Record<string, string | number | string[] | null | undefined>, signal?: AbortSignal): Promise<T> {
  const res = await fetch(apiUrl(path, params), { signal, credentials: "same-origin", headers: { accept: "application/json" } });
  noteHeaders(res);
  return answer<T>(res);
}

/** A write: JSON body, cookie auth; the server refuses it under --read-only or on a past view. */
export async function sendJson<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.headers.get("x-runelog-read-only") === "1") markReadOnly();
  if (res.status === 403) markReadOnly();
  return answer<T>(res);
}

let readOnly = false;
const readOnlyListeners = new Set<() => void>();
function markReadOnly(): void {
  if (readOnly) return;
  readOnly = true;
  for (const f of readOnlyListeners) f();
}
/** Whether the server said it refuses writes (--read-only); learned from its answers. */
export function serverReadOnly(): boolean {
  return readOnly;
}
export function onReadOnly(f: () => void): () => void {
  readOnlyListeners.add(f);
  return () => readOnlyListeners.delete(f);
}
/** Reads the server's read-only flag when it advertises one (header on /api answers). */
function noteHeaders(res: Response): void {
  if (res.headers.get("x-runelog-read-only") === "1") markReadOnly();
}

export function num(v: WireNumber | undefined | null): number {
  if (v == null) return NaN;
  return typeof v === "number" ? v : Number(v);
}
