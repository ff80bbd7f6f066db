/**
 * `?asOf=` → a read-only view of the store as it was then. Views are cached per resolved instant
 * (an event id, or a canonical ISO time), least recently used first out, so a slider dragged back
 * and forth over the same events folds each journal once per instant, not once per request.
 */
import type { Context } from "hono";
import { InvalidInput, type RuneLog } from "../../index.js";
import { param } from "./http.js";

const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export class Views {
  private readonly cache = new Map<string, RuneLog>();

  constructor(readonly live: RuneLog, private readonly size = 8) {}

  /** The view a request asks for with `?asOf=`: the live tracker without it. */
  of(c: Context): RuneLog {
    const asOf = param(c, "asOf");
    return asOf === undefined || asOf === "" ? this.live : this.at(asOf);
  }

  /** The store as it was at an ISO time, epoch milliseconds, or just after an event id. */
  at(asOf: string): RuneLog {
    const key = instantKey("asOf", asOf);
    let view = this.cache.get(key);
    if (view) {
      this.cache.delete(key); // re-inserted below: most recently used last
    } else {
      view = this.live.asOf(EVENT_ID.test(key) ? key : new Date(key));
      if (this.cache.size >= this.size) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, view);
    return view;
  }

  get cached(): number {
    return this.cache.size;
  }
}

/** An instant as the key that names it: an event id as is, a time as its canonical ISO string. */
export function instantKey(argument: string, text: string): string {
  if (EVENT_ID.test(text)) return text;
  const ms = /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
  const date = new Date(ms);
  if (!Number.isFinite(date.getTime())) throw new InvalidInput(argument, `must be an ISO 8601 time, epoch milliseconds or an event id, got ${JSON.stringify(text)}`);
  return date.toISOString();
}
