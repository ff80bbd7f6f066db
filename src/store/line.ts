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
import type { ProblemKind } from "./types.js";

export type { EventDraft, StoredEvent } from "../events.js";

export const GENESIS_HASH = "00000000";
const CRC_PREFIX = ',"crc":"';
/** `,"crc":"` + 8 hex digits + `"}` */
export const CRC_SUFFIX_BYTES = CRC_PREFIX.length + 8 + 2;

const HEX = Buffer.from("0123456789abcdef", "latin1");

/** A 32-bit number as 8 lowercase hex digits. */
export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

// A line is `{"seq":` + digits + `,` + body + LINE_END with its x's replaced: prev, then the crc.
const LINE_START = '{"seq":';
const LINE_END = ',"prev":"xxxxxxxx","crc":"xxxxxxxx"}\n';
const PREV_FROM_END = LINE_END.length - ',"prev":"'.length; // the prev's 8 hex digits start this many bytes before the line's end
const CRC_FROM_END = LINE_END.length - LINE_END.indexOf(CRC_PREFIX) - CRC_PREFIX.length; // and the crc's
const CRC_COVERS_TO_END = LINE_END.length - LINE_END.indexOf(CRC_PREFIX); // the crc covers the line up to, not including, `,"crc":"`
/** A line's bytes besides its body, at most (16 digits of seq). */
const LINE_OVERHEAD = LINE_START.length + 16 + 1 + LINE_END.length;
/** A line's start with room for d digits of seq: `{"seq":` + d zeros + `,`. */
const LINE_PREFIX = Array.from({ length: 17 }, (_, d) => `${LINE_START}${"0".repeat(d)},`);

const POWERS_OF_TEN = Array.from({ length: 17 }, (_, d) => 10 ** d);

function digitCount(n: number): number {
  let d = 1;
  while (d < 16 && n >= POWERS_OF_TEN[d]!) d++;
  return d;
}

/**
 * Lines laid out and UTF-8-encoded before the lock is taken: each complete but for its sequence
 * number's digits, its prev and its crc, which sealLines writes in place under the lock.
 */
export interface LaidOutLines {
  bytes: Buffer;
  /** Line i is bytes [ends[i - 1] ?? 0, ends[i]), newline included. */
  ends: number[];
  /** The seq the layout expected for its first line: line i has room for the digits of firstSeq + i. */
  firstSeq: number;
}

/** A buffer a writer lends layOutLines again and again (its lines are written before the next layout). */
export interface LayoutScratch {
  buffer: Buffer;
}

export function layOutLines(drafts: ReadonlyArray<Pick<EventDraft, "body">>, firstSeq: number, scratch?: LayoutScratch): LaidOutLines {
  const n = drafts.length;
  const ends = new Array<number>(n);
  let room = n * LINE_OVERHEAD;
  for (let i = 0; i < n; i++) room += drafts[i]!.body.length; // the bytes of all-ASCII bodies
  // A fresh ~300 KB buffer per batch was a sixth of a busy writer's garbage-collection time.
  if (scratch && scratch.buffer.length < room) scratch.buffer = Buffer.allocUnsafe(room * 2);
  let bytes = scratch ? scratch.buffer : Buffer.allocUnsafe(room);
  let p = 0;
  for (let i = 0; i < n; i++) {
    // One string and one native write per line: measured cheaper than writing its pieces or
    // joining all lines first.
    const line = LINE_PREFIX[digitCount(firstSeq + i)]! + drafts[i]!.body + LINE_END;
    if (p + line.length * 3 > bytes.length) {
      const need = p + Buffer.byteLength(line) + (n - i - 1) * LINE_OVERHEAD;
      if (need > bytes.length) bytes = Buffer.concat([bytes.subarray(0, p)], Math.max(need, bytes.length * 2));
    }
    p += bytes.write(line, p, "utf8");
    ends[i] = p;
  }
  return { bytes: bytes.subarray(0, p), ends, firstSeq };
}

/**
 * Stamps laid-out lines in place as seq firstSeq, firstSeq + 1, … after a line whose crc is `prev`,
 * and returns the last line's crc; or null, with nothing promised about the bytes, when a line's
 * room for its digits does not fit its seq (lay the lines out again with this firstSeq).
 */
export function sealLines(lines: LaidOutLines, firstSeq: number, prev: string): string | null {
  const { bytes, ends } = lines;
  let prevCrc = parseInt(prev, 16);
  for (let i = 0, start = 0; i < ends.length; start = ends[i++]!) {
    const end = ends[i]!;
    let seq = firstSeq + i;
    const room = digitCount(lines.firstSeq + i); // the digits the layout left room for
    if (digitCount(seq) !== room) return null;
    const digitsStart = start + LINE_START.length;
    for (let p = digitsStart + room - 1; p >= digitsStart; p--) {
      bytes[p] = 0x30 + (seq % 10);
      seq = Math.floor(seq / 10);
    }
    writeHex8(bytes, end - PREV_FROM_END, prevCrc);
    prevCrc = crc32(bytes.subarray(start, end - CRC_COVERS_TO_END));
    writeHex8(bytes, end - CRC_FROM_END, prevCrc);
  }
  return hex8(prevCrc);
}

function writeHex8(target: Buffer, at: number, n: number): void {
  for (let i = 7; i >= 0; i--, n >>>= 4) target[at + i] = HEX[n & 15]!;
}

/** The full line (with its newline) as a string. */
export function encodeLine(draft: Pick<EventDraft, "body">, seq: number, prev: string): { line: string; crc: string } {
  const lines = layOutLines([draft], seq);
  const crc = sealLines(lines, seq, prev)!;
  return { line: lines.bytes.toString("utf8"), crc };
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
