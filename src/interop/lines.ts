/**
 * The JSON-lines protocol (docs/any-language.md): splits a byte stream into lines on raw Buffers,
 * hands record lines to a sink and writes every other byte through unchanged and in order.
 *
 * Lines are split here rather than by ndjson's parser because that parser decodes to strings
 * (invalid UTF-8 becomes U+FFFD), drops the `\r` of `\r\n`, and drops or errors on lines that
 * are not JSON without giving back their bytes, so pass-through could not be exact.
 */
import { InvalidInput } from "../errors.js";
import * as validate from "../validate.js";

export const RECORD_KEYS = ["params", "metrics", "tags", "artifacts", "step", "timestamp"] as const;

export interface RawRecord {
  params?: unknown;
  metrics?: unknown;
  tags?: unknown;
  artifacts?: unknown;
  step?: unknown;
  timestamp?: unknown;
}

/** Where lines go: records to `record` (which may return a promise to wait for), the rest to `write`. */
export interface LineSink {
  record(record: RawRecord, line: number): void | Promise<void>;
  /** Bytes to pass through; returns false when the output wants the caller to wait (`drain`). */
  write(bytes: Buffer): boolean;
  drain(): Promise<void>;
}

const NL = 0x0a;
const OPEN_BRACE = 0x7b;
/** A line that could be a record but grows past this is passed through: no record is this large. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export class LineSplitter {
  /** Lines seen so far (each complete line, and a last line without a newline, counts). */
  lines = 0;
  /** The start of the current line while it may still be a record (bytes not yet written). */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Whether the carried start has a non-blank byte yet (then it begins with `{`). */
  private carryBrace = false;
  /** The current line is known not to be a record: its bytes go straight through. */
  private passing = false;

  constructor(private readonly sink: LineSink) {}

  async push(chunk: Buffer): Promise<void> {
    let pos = 0;
    let passFrom = -1; // start of bytes of this chunk waiting to be written through
    const flushPass = async (to: number): Promise<void> => {
      if (passFrom >= 0 && to > passFrom) {
        if (!this.sink.write(chunk.subarray(passFrom, to))) await this.sink.drain();
      }
      passFrom = -1;
    };
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NL, pos);
      const end = nl < 0 ? chunk.length : nl + 1;
      if (this.passing) {
        if (passFrom < 0) passFrom = pos;
        if (nl >= 0) {
          this.passing = false;
          this.lines++;
        }
        pos = end;
        continue;
      }
      if (this.carryBytes === 0) {
        const kind = classify(chunk, pos, nl < 0 ? chunk.length : nl);
        if (kind === "text") {
          if (passFrom < 0) passFrom = pos;
          if (nl >= 0) this.lines++;
          else this.passing = true;
          pos = end;
          continue;
        }
        if (nl >= 0) {
          // A whole candidate line inside this chunk: the common case, no copying.
          this.lines++;
          const parsed = parseRecord(chunk, pos, end);
          if (parsed) {
            if (passFrom >= 0) await flushPass(pos); // not awaited when there is nothing to write: this is the per-record path
            const wait = this.sink.record(parsed, this.lines);
            if (wait) await wait;
          } else if (passFrom < 0) passFrom = pos;
          pos = end;
          continue;
        }
      }
      // The line goes on past this chunk, or continues a carried start.
      await flushPass(pos);
      const piece = chunk.subarray(pos, end);
      const kind = this.carryBrace ? "brace" : classify(piece, 0, nl < 0 ? piece.length : piece.length - 1);
      if (kind === "brace") this.carryBrace = true;
      this.carry.push(piece);
      this.carryBytes += piece.length;
      pos = end;
      if (nl >= 0) await this.endCarried();
      else if (kind === "text" || this.carryBytes > MAX_RECORD_BYTES) await this.passCarried();
    }
    await flushPass(chunk.length);
  }

  /** The input ended: a last line without a newline is still a line. */
  async end(): Promise<void> {
    if (this.passing) {
      this.passing = false;
      this.lines++;
    } else if (this.carryBytes > 0) {
      await this.endCarried();
    }
  }

  private async endCarried(): Promise<void> {
    const line = Buffer.concat(this.carry, this.carryBytes);
    const candidate = this.carryBrace;
    this.carry = [];
    this.carryBytes = 0;
    this.carryBrace = false;
    this.lines++;
    const parsed = candidate ? parseRecord(line) : null;
    if (parsed) {
      const wait = this.sink.record(parsed, this.lines);
      if (wait) await wait;
    } else if (!this.sink.write(line)) await this.sink.drain();
  }

  /** A carried start that turns out not to be a record (or is far too long for one) is written through now. */
  private async passCarried(): Promise<void> {
    const bytes = Buffer.concat(this.carry, this.carryBytes);
    this.carry = [];
    this.carryBytes = 0;
    this.carryBrace = false;
    this.passing = true;
    if (!this.sink.write(bytes)) await this.sink.drain();
  }
}

/** By the first byte that is not white space: `{` may start a record ("brace"), anything else is "text"; none yet is "blank". */
function classify(buf: Buffer, from: number, to: number): "brace" | "text" | "blank" {
  for (let i = from; i < to; i++) {
    const b = buf[i]!;
    if (b === 0x20 || b === 0x09 || b === 0x0d) continue;
    return b === OPEN_BRACE ? "brace" : "text";
  }
  return "blank";
}

/** The record on a line, or null when the line is not one (then it is passed through). */
export function parseRecord(buf: Buffer, start = 0, end = buf.length): RawRecord | null {
  const text = buf.toString("utf8", start, end);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.trim() === "") return null;
    value = parsePythonJson(text);
  }
  return isRecord(value) ? (value as RawRecord) : null;
}

function isRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  let logged = false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key === "params" || key === "metrics" || key === "tags" || key === "artifacts") logged = true;
    else if (key !== "step" && key !== "timestamp") return false;
  }
  return logged;
}

const NAN = `\u0000runelog:NaN:${process.pid}:${Math.random()}`;

/**
 * Python's json.dumps writes NaN, Infinity and -Infinity bare. Outside strings they are replaced
 * (Infinity by 1e999, which JSON.parse reads as Infinity; NaN by a string no line can hold, turned
 * back into NaN while parsing). Returns undefined when the text is not JSON even so.
 */
export function parsePythonJson(text: string): unknown {
  if (!text.includes("NaN") && !text.includes("Infinity")) return undefined;
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x4e && text.startsWith("NaN", i)) {
      out += text.slice(from, i) + JSON.stringify(NAN);
      from = i + 3;
      i += 2;
    } else if (c === 0x49 && text.startsWith("Infinity", i)) {
      out += text.slice(from, i) + "1e999";
      from = i + 8;
      i += 7;
    }
  }
  out += text.slice(from);
  try {
    return JSON.parse(out, (_key, v) => (v === NAN ? Number.NaN : v));
  } catch {
    return undefined;
  }
}

/** The checked parts of a record, ready to log. */
export interface CheckedRecord {
  params: Record<string, unknown> | null;
  metrics: Record<string, number> | null;
  tags: Record<string, string> | null;
  artifacts: string[];
  step: number | undefined;
  timestamp: number | undefined;
}

/** Checks every part of a record before any of it is logged (a record is logged whole or not at all). */
export function checkRecord(r: RawRecord): CheckedRecord {
  const artifacts: string[] = [];
  if (r.artifacts !== undefined) {
    if (!Array.isArray(r.artifacts)) throw new InvalidInput("artifacts", `must be a list of file paths, got ${validate.describe(r.artifacts)}`);
    r.artifacts.forEach((p, i) => artifacts.push(validate.path(`artifacts[${i}]`, p)));
  }
  return {
    params: r.params === undefined ? null : validate.params("params", r.params),
    metrics: r.metrics === undefined ? null : validate.metrics("metrics", r.metrics),
    tags: r.tags === undefined ? null : validate.stringRecord("tags", r.tags),
    artifacts,
    step: r.step === undefined ? undefined : validate.step("step", r.step),
    timestamp: r.timestamp === undefined ? undefined : validate.timestamp("timestamp", r.timestamp),
  };
}
