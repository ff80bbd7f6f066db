/**
 * The journal line format. One event per line:
 *
 *   {"seq":12,"v":1,"id":"01J…","ts":"2026-…Z","type":"MetricsLogged","data":{…},"prev":"1a2b3c4d","crc":"5e6f7a8b"}
 *
 * `seq` counts lines from 1, stamped under the lock. `prev` is the previous line's `crc`
 * ("00000000" for the first line), so a removed, duplicated or reordered line breaks the chain.
 * `crc` is the CRC-32 of the line's UTF-8 bytes up to, not including, `,"crc":` — so a checksum
 * check is one native call over the line's bytes and needs no re-serialization.
 */
import { crc32 } from "node:zlib";

export const GENESIS_HASH = "00000000";
const CRC_PREFIX = ',"crc":"';
/** `,"crc":"` + 8 hex digits + `"}` */
export const CRC_SUFFIX_BYTES = CRC_PREFIX.length + 8 + 2;

/** What the journal stores of every event; `data` is the event's own payload. */
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

/** An event before the journal stamps it: its envelope fields and data, already serialized. */
export interface EventDraft {
  /** `"v":…,"id":…,"ts":…,"type":…,"data":…` — the middle of the line, serialized outside the lock. */
  readonly body: string;
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** Builds the full line (with its newline) for a draft stamped with `seq` after a line whose crc is `prev`. */
export function encodeLine(draft: EventDraft, seq: number, prev: string): { line: string; crc: string } {
  const head = `{"seq":${seq},${draft.body},"prev":"${prev}"`;
  const crc = hex8(crc32(head));
  return { line: `${head}${CRC_PREFIX}${crc}"}\n`, crc };
}

export type LineProblemKind = "torn-tail" | "bad-checksum" | "bad-json" | "broken-chain" | "unknown-event";

/**
 * Checks one line's bytes (without its newline). Returns the parsed event, or the kind of damage.
 * Chain continuity (seq and prev) is the caller's business: it knows the line before.
 */
export function decodeLine(buf: Buffer, start: number, end: number): StoredEvent | "bad-checksum" | "bad-json" {
  const len = end - start;
  if (len < CRC_SUFFIX_BYTES + 2) return looksLikeJson(buf, start, end) ? "bad-checksum" : "bad-json";
  const crcStart = end - CRC_SUFFIX_BYTES;
  if (buf.toString("latin1", crcStart, crcStart + CRC_PREFIX.length) !== CRC_PREFIX || buf[end - 2] !== 0x22 || buf[end - 1] !== 0x7d) {
    return looksLikeJson(buf, start, end) ? "bad-checksum" : "bad-json";
  }
  const stated = parseInt(buf.toString("latin1", crcStart + CRC_PREFIX.length, crcStart + CRC_PREFIX.length + 8), 16);
  if (crc32(buf.subarray(start, crcStart)) !== stated) return looksLikeJson(buf, start, end) ? "bad-checksum" : "bad-json";
  try {
    return JSON.parse(buf.toString("utf8", start, end)) as StoredEvent;
  } catch {
    return "bad-json";
  }
}

function looksLikeJson(buf: Buffer, start: number, end: number): boolean {
  try {
    const v = JSON.parse(buf.toString("utf8", start, end));
    return typeof v === "object" && v !== null;
  } catch {
    return false;
  }
}
