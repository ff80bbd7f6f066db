/**
 * Every event runelog writes: one type per event, its data, the schema version, and the one
 * constructor that turns an event into a journal draft. Projections depend on this file only.
 */
import { randomFillSync } from "node:crypto";
import { encodeTime } from "ulid";

export const SCHEMA_VERSION = 1;

export type RunStatus = "RUNNING" | "FINISHED" | "FAILED" | "KILLED";
export const END_STATUSES = ["FINISHED", "FAILED", "KILLED"] as const;

/** A JSON number, or for NaN, ±Infinity and -0 (which JSON cannot hold) their name as a string. */
export type EncodedNumber = number | "NaN" | "Infinity" | "-Infinity" | "-0";

export interface GitMeta {
  commit: string;
  branch: string | null;
  dirty: boolean;
}
export interface EnvMeta {
  node: string;
  platform: string;
  arch: string;
  packages: Record<string, string>;
}
export interface ModelFormat {
  /** How the bytes were made: JSON text, raw bytes, or a caller's serializer. */
  format: "json" | "bytes" | "custom";
  /** gzip level, 0 for none. */
  compress: number;
}

export interface EventMap {
  // catalogue journal
  /**
   * Imported events carry the source's own times (`createdAt`, `startTime`, `endTime`,
   * `registeredAt`, ISO 8601): views show those instead of the event's `ts`, which stays the
   * import's. Events written by runelog itself never have them. See docs/journal-format.md.
   */
  ExperimentCreated: { experimentId: string; name: string; createdAt?: string; tags?: Record<string, string> };
  ExperimentDeleted: { experimentId: string };
  // experiment journals
  RunStarted: {
    runId: string;
    experimentId: string;
    parentRunId: string | null;
    pid: number;
    host: string;
    tags: Record<string, string>;
    git: GitMeta | null;
    env: EnvMeta | null;
    startTime?: string;
  };
  RunResumed: { runId: string; pid: number; host: string };
  RunEnded: { runId: string; status: Exclude<RunStatus, "RUNNING">; endTime?: string };
  RunDeleted: { runId: string };
  ParamsLogged: { runId: string; params: Record<string, unknown> };
  /** Made with its fields in this order (runId, metrics, step, timestamp): see metricsLoggedJson. */
  MetricsLogged: { runId: string; metrics: Record<string, EncodedNumber>; step: number; timestamp: number };
  TagsSet: { runId: string; tags: Record<string, string> };
  ArtifactLogged: { runId: string; name: string; sha256: string; size: number; model: ModelFormat | null };
  // registry journal
  ModelVersionRegistered: {
    modelName: string;
    version: string;
    sourceRunId: string;
    experimentId: string;
    artifactName: string;
    sha256: string;
    size: number;
    model: ModelFormat | null;
    tags: Record<string, string>;
    registeredAt?: string;
  };
  ModelTagsSet: { modelName: string; version: string; tags: Record<string, string> };
  ModelTagsRemoved: { modelName: string; version: string; keys: string[] };
  ModelAliasSet: { modelName: string; alias: string; version: string };
  ModelAliasDeleted: { modelName: string; alias: string };
}

export type EventType = keyof EventMap;
export const EVENT_TYPES = new Set<string>([
  "ExperimentCreated", "ExperimentDeleted",
  "RunStarted", "RunResumed", "RunEnded", "RunDeleted", "ParamsLogged", "MetricsLogged", "TagsSet", "ArtifactLogged",
  "ModelVersionRegistered", "ModelTagsSet", "ModelTagsRemoved", "ModelAliasSet", "ModelAliasDeleted",
] satisfies EventType[]);

/**
 * The envelope of every stored event, in every backend: what the journal stamps (`seq`, `prev`,
 * `crc`) around what the draft carried (`v`, `id`, `ts`, `type`, `data`). `prev` is the previous
 * event's `crc` ("00000000" for the first), so a removed, duplicated or reordered event breaks the chain.
 */
export interface StoredEvent<T extends string = string, D = unknown> {
  seq: number;
  v: number;
  id: string;
  ts: string;
  type: T;
  data: D;
  prev: string;
  crc: string;
}

/**
 * An event before a journal stamps it. `body` is its envelope fields and data already serialized
 * (`"v":…,"id":…,"ts":…,"type":…,"data":…`, outside any lock); `id`, `ts` and `type` repeat
 * three of them for backends that keep them in columns (event ids make retries idempotent).
 */
export interface EventDraft {
  readonly body: string;
  readonly id: string;
  readonly ts: string;
  readonly type: EventType;
}

/** An event as stored, typed by its `type`. */
export type JournalEvent = { [T in EventType]: StoredEvent<T, EventMap[T]> }[EventType];

/** Whether this version of runelog can fold an event. */
export function isKnownEvent(event: StoredEvent): boolean {
  return EVENT_TYPES.has(event.type) && Number.isInteger(event.v) && event.v >= 1 && event.v <= SCHEMA_VERSION;
}

/**
 * Brings an event written by an older schema version up to the current one, so projections only
 * ever see today's shapes. Version 1 is the first: nothing to convert yet. When version 2 changes
 * an event's data, its conversion from 1 goes here, and test/fixtures/ keeps a v1 journal that
 * must still read.
 */
export function upcast(event: JournalEvent): JournalEvent {
  return event;
}

/**
 * Monotonic ULIDs (the `ulid` package's monotonic factory, made cheap for the hot path): the time
 * part is encoded once per millisecond, the random part drawn from a pooled buffer once per
 * millisecond and then incremented by one per id, so ids made in one process never go backwards,
 * even if the clock does.
 */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const randomPool = Buffer.allocUnsafe(4096);
let poolAt = randomPool.length;
let idMs = -1;
let idHead = ""; // the id's first 25 characters: the time part and the random part's first 15
let idLast = 0; // the random part's last character, as its index in CROCKFORD

function nextId(ms: number): string {
  if (ms > idMs) {
    if (poolAt + 16 > randomPool.length) {
      randomFillSync(randomPool);
      poolAt = 0;
    }
    idMs = ms;
    let head = encodeTime(ms, 10);
    for (let i = 0; i < 15; i++) head += CROCKFORD[randomPool[poolAt++]! & 31];
    idHead = head;
    idLast = randomPool[poolAt++]! & 31;
  } else if (++idLast === 32) {
    idLast = 0;
    idHead = idHead.slice(0, 10) + incrementBase32(idHead.slice(10));
  }
  return idHead + CROCKFORD[idLast];
}

function incrementBase32(s: string): string {
  for (let i = s.length - 1; i >= 0; i--) {
    const d = CROCKFORD.indexOf(s[i]!);
    if (d < 31) return s.slice(0, i) + CROCKFORD[d + 1] + "0".repeat(s.length - 1 - i);
  }
  throw new Error("ULID random part overflowed within one millisecond");
}

export const newId = (): string => nextId(Date.now());

/**
 * `","ts":"<ts>","type":"<type>","data":`, the part of a body between its id and its data, kept
 * for the last instant and type: consecutive events mostly share both. Kept as one string, since
 * every piece joined on the hot path is one more string object to collect.
 */
let middleMs = -1;
let middleType = "";
let middleTs = "";
let middleText = "";

function setMiddle(ms: number, type: EventType): void {
  if (ms !== middleMs) middleTs = new Date(ms).toISOString();
  middleMs = ms;
  middleType = type;
  middleText = `","ts":"${middleTs}","type":"${type}","data":`;
}

const BODY_START = `"v":${SCHEMA_VERSION},"id":"`;

/**
 * Turns an event into a journal draft. JSON.stringify runs here, before any lock or I/O, so a value
 * that cannot be serialized fails the call without touching a file.
 */
export function draft<T extends EventType>(type: T, data: EventMap[T], at: Date | number = Date.now()): EventDraft {
  const ms = typeof at === "number" ? at : at.getTime();
  const id = nextId(ms);
  if (ms !== middleMs || type !== middleType) setMiddle(ms, type);
  const json = type === "MetricsLogged" ? metricsLoggedJson(data as EventMap["MetricsLogged"]) : JSON.stringify(data);
  return { body: BODY_START + id + middleText + json, id, ts: middleTs, type };
}

/**
 * JSON.stringify(data) of a MetricsLogged event, byte for byte (test/line.test.ts checks it with
 * fast-check), for data made as every writer makes it: runId, metrics, step, timestamp, in that
 * order. The event a training loop logs most: Node 20's JSON.stringify spends ~0.8 µs on one, this
 * ~0.3 µs, mostly by keeping the texts that repeat from call to call (`{"runId":…,"metrics":{`, each
 * `"name":`, `,"timestamp":…}`) and joining few pieces.
 */
export function metricsLoggedJson(data: EventMap["MetricsLogged"]): string {
  const { metrics } = data;
  let pairs = "";
  // for…in over own keys only: Object.keys' (and so JSON.stringify's) order, without its array.
  for (const key in metrics) if (hasOwn(metrics, key)) pairs += (pairs === "" ? "" : ",") + nameColon(key) + jsonNumber(metrics[key]!);
  if (data.runId !== lastRunId) {
    lastRunId = data.runId;
    lastRunHead = `{"runId":${JSON.stringify(data.runId)},"metrics":{`;
  }
  if (data.timestamp !== lastTimestamp) {
    lastTimestamp = data.timestamp;
    lastTimestampTail = `,"timestamp":${jsonNumber(data.timestamp)}}`;
  }
  return lastRunHead + pairs + '},"step":' + jsonNumber(data.step) + lastTimestampTail;
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);
let lastRunId: string | null = null;
let lastRunHead = "";
let lastTimestamp = NaN;
let lastTimestampTail = "";
const nameColons = new Map<string, string>();

/** `"<name>":`, the name as JSON text. */
function nameColon(name: string): string {
  let text = nameColons.get(name);
  if (text === undefined) {
    if (nameColons.size >= 1024) nameColons.clear();
    nameColons.set(name, (text = `${JSON.stringify(name)}:`));
  }
  return text;
}

/** JSON.stringify of a number (or of an EncodedNumber's name); a finite number's text is String's. */
function jsonNumber(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

export function encodeNumber(value: number): EncodedNumber {
  if (Number.isFinite(value)) return Object.is(value, -0) ? "-0" : value;
  return String(value) as EncodedNumber;
}

export function decodeNumber(value: EncodedNumber): number {
  return typeof value === "number" ? value : Number(value);
}
