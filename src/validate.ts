/**
 * Every input check lives here. Each check throws InvalidInput naming the argument and runs before
 * any I/O, so bad input never changes a byte on disk.
 */
import { InvalidInput } from "./errors.js";

export const MAX_KEY_LENGTH = 250;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function key(argument: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidInput(argument, `must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new InvalidInput(argument, "must not be empty");
  if (value.length > MAX_KEY_LENGTH) throw new InvalidInput(argument, `is ${value.length} characters long; the limit is ${MAX_KEY_LENGTH}`);
  if (CONTROL_CHARS.test(value)) throw new InvalidInput(argument, "must not contain control characters");
  if (value === "__proto__") throw new InvalidInput(argument, '"__proto__" is reserved');
  return value;
}

/** A name that may become a path segment: a key that is one plain segment, never `.`/`..` or a path. */
export function name(argument: string, value: unknown): string {
  key(argument, value);
  const s = value as string;
  if (s.includes("/") || s.includes("\\")) throw new InvalidInput(argument, `must not contain "/" or "\\" (got ${JSON.stringify(s)})`);
  if (s === "." || s === "..") throw new InvalidInput(argument, `must not be ${JSON.stringify(s)}`);
  if (s.trim() !== s) throw new InvalidInput(argument, "must not start or end with white space");
  return s;
}

/**
 * An artifact's name: folders allowed ("plots/loss.png", like MLflow's artifact_path), segments split
 * by "/", each one a name (none empty, "." or "..") of at most 255 bytes of UTF-8. (The minimum the
 * importer needs; the hardening branch brings the full rule for every call.)
 */
export function artifactName(argument: string, value: unknown): string {
  key(argument, value);
  for (const segment of (value as string).split("/")) {
    if (segment === "") throw new InvalidInput(argument, `must not have an empty segment (got ${JSON.stringify(value)})`);
    name(argument, segment);
    if (Buffer.byteLength(segment, "utf8") > 255) throw new InvalidInput(argument, "has a segment longer than 255 bytes of UTF-8");
  }
  return value as string;
}

/** A file-system path given by the caller (the store's folder, a file to log). */
export function path(argument: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) throw new InvalidInput(argument, `must be a non-empty string, got ${describe(value)}`);
  if (value.includes("\u0000")) throw new InvalidInput(argument, "must not contain a NUL character");
  return value;
}

export function identifier(argument: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) throw new InvalidInput(argument, `must be a non-empty string, got ${describe(value)}`);
  return value;
}

/** A value that round-trips through JSON: null, booleans, finite numbers (-0 reads back as 0), strings, arrays, plain objects. */
export function jsonValue<T>(argument: string, value: T): T {
  const seen = new Set<object>();
  const walk = (v: unknown, at: string): void => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(v)) throw new InvalidInput(at, `${v} cannot be stored as JSON; log it as a metric instead`);
        return;
      case "object": {
        if (v === null) return;
        if (seen.has(v)) throw new InvalidInput(at, "contains a cycle and cannot be serialized");
        const proto = Object.getPrototypeOf(v);
        if (Array.isArray(v)) {
          seen.add(v);
          v.forEach((item, i) => walk(item, `${at}[${i}]`));
        } else if (proto === Object.prototype || proto === null) {
          seen.add(v);
          for (const [k, item] of Object.entries(v)) walk(item, `${at}.${k}`);
        } else {
          throw new InvalidInput(at, `a ${proto?.constructor?.name ?? "class instance"} cannot be serialized as plain JSON`);
        }
        seen.delete(v);
        return;
      }
      default:
        throw new InvalidInput(at, `${describe(v)} cannot be serialized`);
    }
  };
  walk(value, argument);
  return value;
}

export function record(argument: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidInput(argument, `must be a plain object, got ${describe(value)}`);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new InvalidInput(argument, "must be a plain object");
  return value as Record<string, unknown>;
}

export function params(argument: string, value: unknown): Record<string, unknown> {
  const r = record(argument, value);
  for (const [k, v] of Object.entries(r)) {
    key(`${argument} key`, k);
    jsonValue(`${argument}.${k}`, v);
  }
  return r;
}

export function metricValue(argument: string, value: unknown): number {
  if (typeof value !== "number") throw new InvalidInput(argument, `must be a number, got ${describe(value)}`);
  return value;
}

export function metrics(argument: string, value: unknown): Record<string, number> {
  const r = record(argument, value);
  for (const [k, v] of Object.entries(r)) {
    key(`${argument} key`, k);
    metricValue(`${argument}.${k}`, v);
  }
  return r as Record<string, number>;
}

export function step(argument: string, value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new InvalidInput(argument, `must be a safe integer, got ${describe(value)}`);
  return value as number;
}

/** A time as epoch milliseconds; accepts a Date or a number. */
export function timestamp(argument: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new InvalidInput(argument, `must be a Date or epoch milliseconds, got ${describe(value)}`);
  return ms;
}

export function stringRecord(argument: string, value: unknown): Record<string, string> {
  const r = record(argument, value);
  for (const [k, v] of Object.entries(r)) {
    key(`${argument} key`, k);
    if (typeof v !== "string") throw new InvalidInput(`${argument}.${k}`, `must be a string, got ${describe(v)}`);
  }
  return r as Record<string, string>;
}

export function stringList(argument: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new InvalidInput(argument, `must be an array of strings, got ${describe(value)}`);
  value.forEach((v, i) => key(`${argument}[${i}]`, v));
  return value as string[];
}

export function oneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new InvalidInput(argument, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describe(value)}`);
  }
  return value as T;
}

export function integerIn(argument: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new InvalidInput(argument, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value as number;
}

export function boolean(argument: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new InvalidInput(argument, `must be true or false, got ${describe(value)}`);
  return value;
}

export function optionsObject(argument: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  return record(argument, value);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `BigInt ${value}n`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
