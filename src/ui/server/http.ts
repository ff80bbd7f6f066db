/** What every route shares: JSON that keeps NaN and ±Infinity, errors as `{ error: { code, message } }`, query parameters. */
import type { Context } from "hono";
import { InvalidInput, RuneLogError } from "../../index.js";

/** JSON cannot hold NaN or ±Infinity: they travel as the strings "NaN", "Infinity", "-Infinity". */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
}

export function sendJson(c: Context, value: unknown, status = 200): Response {
  return sendText(c, toJson(value), status);
}

/** JSON already made (by a caller that encoded the non-finite numbers itself). */
export function sendText(c: Context, json: string, status = 200): Response {
  return c.body(json, status as 200, { "Content-Type": "application/json; charset=utf-8" });
}

/**
 * In place, a record's non-finite numbers as their names: cheaper than a replacer over a large answer
 * whose only numbers that may not be finite are metric values (params are JSON values by validation).
 */
export function encodeNumbers(values: Record<string, unknown>): void {
  for (const key in values) {
    const v = values[key];
    if (typeof v === "number" && !Number.isFinite(v)) values[key] = String(v);
  }
}

/** An HTTP error the server itself decides (not a library error): a status and a stable code. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  INVALID_INPUT: 400,
  NO_ACTIVE_RUN: 400,
  EXPERIMENT_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  ARTIFACT_NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  NO_VERSIONS_FOUND: 404,
  MODEL_VERSION_NOT_FOUND: 404,
  READ_ONLY: 409,
  JOURNAL_CORRUPTED: 500,
  LOCK_TIMEOUT: 503,
  STORE_UNAVAILABLE: 503,
};

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Any thrown error as the JSON answer: library errors by their code, anything else 500 without a stack. */
export function errorResponse(err: unknown): Response {
  let status = 500;
  let code = "INTERNAL";
  let message = "internal error";
  if (err instanceof HttpError) {
    ({ status, code, message } = err);
  } else if (err instanceof RuneLogError) {
    status = STATUS_BY_CODE[err.code] ?? 500;
    code = err.code;
    message = err.message;
  } else if (err instanceof Error) {
    message = err.message;
  }
  return new Response(errorBody(code, message), { status, headers: { "Content-Type": "application/json; charset=utf-8" } });
}

/** One optional query parameter; given twice is a mistake the caller hears about. */
export function param(c: Context, name: string): string | undefined {
  const all = c.req.queries(name);
  if (!all || all.length === 0) return undefined;
  if (all.length > 1) throw new InvalidInput(name, "may be given only once");
  return all[0];
}

export function params(c: Context, name: string): string[] {
  return c.req.queries(name) ?? [];
}

/** A whole number in [min, max], or the default when absent. */
export function intParam(c: Context, name: string, fallback: number, min: number, max: number): number {
  const text = param(c, name);
  if (text === undefined || text === "") return fallback;
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidInput(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** The JSON body of a write, which must be an object. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new InvalidInput("body", "is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new InvalidInput("body", "must be a JSON object");
  return body as Record<string, unknown>;
}
