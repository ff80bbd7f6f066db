/**
 * Every input check lives here. Each check throws InvalidInput naming the argument and runs before
 * any I/O, so bad input never changes a byte on disk.
 */
import { InvalidInput } from "./errors.js";

export const MAX_KEY_LENGTH = 250;
/** Arrays and objects may nest this deep in a stored value (a param, a plain-data model). */
export const MAX_DEPTH = 1000;
/** A path segment's limit on every common file system: bytes, not characters. */
export const MAX_SEGMENT_BYTES = 255;
/** An artifact name with folders, in UTF-8 bytes (well under PATH_MAX with the store's own prefix). */
export const MAX_NAME_BYTES = 1024;
/** What a JavaScript Date can hold: ±8.64e15 ms around 1970. */
export const MAX_INSTANT_MS = 8.64e15;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function key(argument: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidInput(argument, `must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new InvalidInput(argument, "must not be empty");
  if (value.length > MAX_KEY_LENGTH) throw new InvalidInput(argument, `is ${value.length} characters long; the limit is ${MAX_KEY_LENGTH}`);
  if (CONTROL_CHARS.test(value)) throw new InvalidInput(argument, "must not contain control characters (U+0000–U+001F, U+007F–U+009F)");
  if (value === "__proto__") throw new InvalidInput(argument, '"__proto__" is reserved');
  return value;
}

/** A name that may become one path segment: a key that is one plain segment, never `.`/`..` or a path. */
export function name(argument: string, value: unknown): string {
  key(argument, value);
  const s = value as string;
  if (s.includes("/") || s.includes("\\")) throw new InvalidInput(argument, `must not contain "/" or "\\" (got ${JSON.stringify(s)})`);
  segment(argument, s);
  return s;
}

/** An experiment name: a name that is not made only of digits (it could not be told from an id). */
export function experimentName(argument: string, value: unknown): string {
  name(argument, value);
  if (/^\d+$/.test(value as string)) throw new InvalidInput(argument, `${JSON.stringify(value)} is all digits and could not be told from an experiment id`);
  return value as string;
}

/**
 * An artifact's name: folders allowed ("plots/loss.png"), segments split by "/", none empty, "."
 * or ".."; each one well-formed and at most 255 bytes of UTF-8, so each is a file name as it is.
 */
export function artifactName(argument: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidInput(argument, `must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new InvalidInput(argument, "must not be empty");
  if (CONTROL_CHARS.test(value)) throw new InvalidInput(argument, "must not contain control characters (U+0000–U+001F, U+007F–U+009F)");
  if (value.includes("\\")) throw new InvalidInput(argument, `must not contain "\\" (folders are separated by "/"; got ${JSON.stringify(value)})`);
  if (LONE_SURROGATE.test(value)) throw new InvalidInput(argument, "must be well-formed Unicode (it holds a lone surrogate)");
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_NAME_BYTES) throw new InvalidInput(argument, `is ${bytes} bytes of UTF-8; the limit is ${MAX_NAME_BYTES}`);
  for (const part of value.split("/")) {
    if (part.length === 0) throw new InvalidInput(argument, `must not have an empty folder (got ${JSON.stringify(value)})`);
    segment(argument, part);
  }
  return value;
}

function segment(argument: string, s: string): void {
  if (s === "." || s === "..") throw new InvalidInput(argument, `must not have a segment ${JSON.stringify(s)}`);
  if (s.trim() !== s) throw new InvalidInput(argument, "must not start or end with white space (also around a \"/\")");
  if (LONE_SURROGATE.test(s)) throw new InvalidInput(argument, "must be well-formed Unicode (it holds a lone surrogate)");
  const bytes = Buffer.byteLength(s, "utf8");
  if (bytes > MAX_SEGMENT_BYTES) throw new InvalidInput(argument, `has a segment of ${bytes} bytes of UTF-8; the limit is ${MAX_SEGMENT_BYTES}`);
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

/**
 * Runs a check that reads the caller's value: whatever a getter or a Proxy trap throws (its own
 * error, a RangeError, a TypeError from a revoked Proxy) becomes InvalidInput naming the argument.
 */
function guarded<T>(argument: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw asInvalidInput(argument, err);
  }
}

function asInvalidInput(argument: string, err: unknown): InvalidInput {
  if (err instanceof InvalidInput) return err;
  return new InvalidInput(argument, `could not be read: ${err instanceof Error ? err.message : String(err)}`);
}

function plainObject(argument: string, value: unknown): asserts value is object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidInput(argument, `must be a plain object, got ${describe(value)}`);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new InvalidInput(argument, "must be a plain object");
}

/**
 * The own enumerable properties of a plain object, each read exactly once. What is checked and then
 * stored is this copy, never the caller's object again: a getter or Proxy cannot change in between.
 */
function ownEntries(argument: string, value: unknown, symbols: "refuse" | "keep" = "refuse"): Array<[string | symbol, unknown]> {
  plainObject(argument, value);
  const out: Array<[string | symbol, unknown]> = [];
  for (const k of Reflect.ownKeys(value as object)) {
    if (!isEnumerable.call(value, k)) continue;
    if (typeof k === "symbol" && symbols === "refuse") throw new InvalidInput(argument, `has a symbol key (${String(k)}), which JSON cannot hold`);
    out.push([k, (value as Record<string | symbol, unknown>)[k]]); // the one read of this property
  }
  return out;
}

const isEnumerable = Object.prototype.propertyIsEnumerable;

function define(target: object, k: string | symbol, v: unknown): void {
  // defineProperty, so a key "__proto__" inside a value stays a plain own property
  Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * A copy of a value that round-trips through JSON: null, booleans, finite numbers (-0 reads back as
 * 0), strings, arrays, plain objects, nested at most MAX_DEPTH levels. Store the copy it returns.
 */
export function jsonValue(argument: string, value: unknown): unknown {
  return guarded(argument, () => copyJson(value, argument, 0, new Set()));
}

function copyJson(v: unknown, at: string, depth: number, path: Set<object>): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (!Number.isFinite(v)) throw new InvalidInput(at, `${v} cannot be stored as JSON; log it as a metric instead`);
      return v;
    case "object": {
      if (v === null) return null;
      if (path.has(v)) throw new InvalidInput(at, "contains a cycle and cannot be serialized");
      if (depth >= MAX_DEPTH) throw new InvalidInput(at, `nests arrays and objects deeper than ${MAX_DEPTH} levels`);
      path.add(v);
      let out: unknown;
      if (Array.isArray(v)) {
        const length = v.length;
        const arr = new Array<unknown>(length);
        for (let i = 0; i < length; i++) arr[i] = i in v ? copyJson(v[i], `${at}[${i}]`, depth + 1, path) : null;
        out = arr;
      } else {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          throw new InvalidInput(at, `a ${proto?.constructor?.name ?? "class instance"} cannot be serialized as plain JSON`);
        }
        const obj = {};
        for (const [k, item] of ownEntries(at, v)) define(obj, k as string, copyJson(item, `${at}.${String(k)}`, depth + 1, path));
        out = obj;
      }
      path.delete(v);
      return out;
    }
    default:
      throw new InvalidInput(at, `${describe(v)} cannot be serialized`);
  }
}

/** A plain object's own enumerable string-keyed properties, copied (each read once). */
export function record(argument: string, value: unknown): Record<string, unknown> {
  return guarded(argument, () => {
    const out = {};
    for (const [k, v] of ownEntries(argument, value)) define(out, k as string, v);
    return out as Record<string, unknown>;
  });
}

/** Params: keys checked, values copied as JSON. The copy is what gets stored. */
export function params(argument: string, value: unknown): Record<string, unknown> {
  return guarded(argument, () => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of ownEntries(argument, value)) {
      key(`${argument} key`, k);
      out[k as string] = copyJson(v, `${argument}.${String(k)}`, 0, new Set());
    }
    return out;
  });
}

export function metricValue(argument: string, value: unknown): number {
  if (typeof value !== "number") throw new InvalidInput(argument, `must be a number, got ${describe(value)}`);
  return value;
}

export function metrics(argument: string, value: unknown): Record<string, number> {
  // The hot path of logMetrics: the same rules as ownEntries, without its intermediate array.
  try {
    plainObject(argument, value);
    const out: Record<string, number> = {};
    for (const k of Reflect.ownKeys(value as object)) {
      if (!isEnumerable.call(value, k)) continue;
      if (typeof k === "symbol") throw new InvalidInput(argument, `has a symbol key (${String(k)}), which JSON cannot hold`);
      key(`${argument} key`, k);
      out[k] = metricValue(`${argument}.${k}`, (value as Record<string, unknown>)[k]);
    }
    return out;
  } catch (err) {
    throw asInvalidInput(argument, err);
  }
}

export function step(argument: string, value: unknown): number {
  if (!Number.isSafeInteger(value)) throw new InvalidInput(argument, `must be a safe integer, got ${describe(value)}`);
  return value as number;
}

/** Epoch milliseconds a Date can hold; everything that takes an instant uses this one rule. */
export function instantMs(argument: string, ms: unknown, value: unknown = ms): number {
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new InvalidInput(argument, `must be a Date or epoch milliseconds, got ${describe(value)}`);
  if (Math.abs(ms) > MAX_INSTANT_MS) throw new InvalidInput(argument, `${ms} is outside what a Date can hold (±${MAX_INSTANT_MS} ms around 1970)`);
  return ms;
}

/** A time as epoch milliseconds; accepts a Date or a number. */
export function timestamp(argument: string, value: unknown): number {
  // try/catch here rather than guarded(): this runs for every metric, and the closure was garbage.
  let ms: unknown;
  try {
    ms = value instanceof Date ? value.getTime() : value;
  } catch (err) {
    throw asInvalidInput(argument, err);
  }
  return instantMs(argument, ms, value);
}

export function stringRecord(argument: string, value: unknown): Record<string, string> {
  return guarded(argument, () => {
    const out: Record<string, string> = {};
    for (const [k, v] of ownEntries(argument, value)) {
      key(`${argument} key`, k);
      if (typeof v !== "string") throw new InvalidInput(`${argument}.${String(k)}`, `must be a string, got ${describe(v)}`);
      out[k as string] = v;
    }
    return out;
  });
}

export function stringList(argument: string, value: unknown): string[] {
  return guarded(argument, () => {
    if (!Array.isArray(value)) throw new InvalidInput(argument, `must be an array of strings, got ${describe(value)}`);
    const out: string[] = [];
    for (let i = 0, n = value.length; i < n; i++) out.push(key(`${argument}[${i}]`, value[i]));
    return out;
  });
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

/** An options object, copied (each option read once); symbol keys are kept, they are never stored. */
export function optionsObject(argument: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  return guarded(argument, () => {
    const out: Record<string | symbol, unknown> = {};
    for (const [k, v] of ownEntries(argument, value, "keep")) define(out, k, v);
    return out as Record<string, unknown>;
  });
}

/** Only the named own properties of an options object, each read once (a hot path: metric options). */
export function optionFields<K extends string>(argument: string, value: unknown, names: readonly K[]): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  const out: Partial<Record<K, unknown>> = {};
  try {
    plainObject(argument, value); // inside: a Proxy's getPrototypeOf trap may throw
    for (const k of names) if (isEnumerable.call(value, k)) out[k] = (value as Record<K, unknown>)[k];
  } catch (err) {
    throw asInvalidInput(argument, err);
  }
  return out;
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
