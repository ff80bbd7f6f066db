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
import type { EventDraft, StoredEvent } from "../events.js";
import type { ProblemKind } from "../store/types.js";

export type { EventDraft, StoredEvent } from "../events.js";

export const GENESIS_HASH = "00000000";
const CRC_PREFIX = ',"crc":"';
/** `,"crc":"` + 8 hex digits + `"}` */
export const CRC_SUFFIX_BYTES = CRC_PREFIX.length + 8 + 2;

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** A 32-bit number as 8 lowercase hex digits. */
export function hex8(n: number): string {
  return BYTE_HEX[n >>> 24]! + BYTE_HEX[(n >>> 16) & 255]! + BYTE_HEX[(n >>> 8) & 255]! + BYTE_HEX[n & 255]!;
}

/** The most bytes a draft's line can take (UTF-8 is at most 3 bytes per UTF-16 unit). */
export function maxLineBytes(draft: Pick<EventDraft, "body">): number {
  return draft.body.length * 3 + 80;
}

/**
 * Encodes a draft stamped with `seq` after a line whose crc is `prev` straight into `target` at
 * `at` (which must have maxLineBytes(draft) free), newline included. The crc is taken over the
 * bytes just written, so each line is UTF-8-encoded once.
 */
export function encodeInto(target: Buffer, at: number, draft: Pick<EventDraft, "body">, seq: number, prev: string): { end: number; crc: string } {
  const headEnd = at + target.write(`{"seq":${seq},${draft.body},"prev":"${prev}"`, at, "utf8");
  const crc = hex8(crc32(target.subarray(at, headEnd)));
  // `,"crc":"` + crc + `"}\n`, byte by byte: cheaper than encoding one more string per line.
  let p = headEnd;
  for (let i = 0; i < CRC_PREFIX.length; i++) target[p++] = CRC_PREFIX.charCodeAt(i);
  for (let i = 0; i < 8; i++) target[p++] = crc.charCodeAt(i);
  target[p++] = 0x22;
  target[p++] = 0x7d;
  target[p++] = 0x0a;
  return { end: p, crc };
}

/** The full line (with its newline) as a string. */
export function encodeLine(draft: Pick<EventDraft, "body">, seq: number, prev: string): { line: string; crc: string } {
  const buf = Buffer.allocUnsafe(maxLineBytes(draft));
  const { end, crc } = encodeInto(buf, 0, draft, seq, prev);
  return { line: buf.toString("utf8", 0, end), crc };
}

export type LineProblemKind = ProblemKind;

/**
 * Checks one line's bytes (without its newline). Returns the parsed event, or the kind of damage.
 * `text`, when given, is the same line already decoded (a reader that decoded a whole chunk at once).
 * Chain continuity (seq and prev) is the caller's business: it knows the line before.
 */
export function decodeLine(buf: Buffer, start: number, end: number, text?: string): StoredEvent | "bad-checksum" | "bad-json" {
  const crcStart = end - CRC_SUFFIX_BYTES;
  const stated = crcStart > start ? statedCrc(buf, crcStart, end) : -1;
  if (stated < 0 || crc32(buf.subarray(start, crcStart)) !== stated) return looksLikeJson(buf, start, end) ? "bad-checksum" : "bad-json";
  try {
    return JSON.parse(text ?? buf.toString("utf8", start, end)) as StoredEvent;
  } catch {
    return "bad-json";
  }
}

const CRC_PREFIX_BYTES = Buffer.from(CRC_PREFIX, "latin1");

/** The crc a line states in its `,"crc":"xxxxxxxx"}` suffix, or -1 if the suffix is not there. */
function statedCrc(buf: Buffer, crcStart: number, end: number): number {
  for (let i = 0; i < CRC_PREFIX_BYTES.length; i++) if (buf[crcStart + i] !== CRC_PREFIX_BYTES[i]) return -1;
  if (buf[end - 2] !== 0x22 || buf[end - 1] !== 0x7d) return -1;
  let value = 0;
  for (let i = crcStart + CRC_PREFIX_BYTES.length; i < end - 2; i++) {
    const c = buf[i]!;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function looksLikeJson(buf: Buffer, start: number, end: number): boolean {
  try {
    const v = JSON.parse(buf.toString("utf8", start, end));
    return typeof v === "object" && v !== null;
  } catch {
    return false;
  }
}
