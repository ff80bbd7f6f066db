/**
 * Reads a journal file from a position: complete lines only, each checked (checksum, then sequence
 * and chain against the line before). Bytes after the last newline are a torn tail — a crash
 * mid-append, or an append still in progress — and are never returned; the position stops before them.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { JournalCorrupted } from "../errors.js";
import type { Position, Problem, ReadChunk, ReadOptions } from "../store/types.js";
import { decodeLine, GENESIS_HASH, type LineProblemKind, type StoredEvent } from "./line.js";

/** A position in a journal file: after `line` lines and `offset` bytes, the last good event being `seq`/`hash`. Only this backend looks inside. */
export interface FilePosition extends Position {
  readonly offset: number;
  readonly line: number;
  readonly seq: number;
  readonly hash: string;
}

export const FILE_START: FilePosition = Object.freeze({ offset: 0, line: 0, seq: 0, hash: GENESIS_HASH });

/** A position handed back by a caller, as this backend's own (START, which carries only seq 0, is the file's start). */
export function filePosition(position: Position): FilePosition {
  const p = position as Partial<FilePosition>;
  if (typeof p.offset === "number" && typeof p.line === "number" && typeof p.hash === "string") return position as FilePosition;
  if (position.seq === 0) return FILE_START;
  throw new TypeError(`not a position in a journal file: ${JSON.stringify(position)}`);
}

export interface FileReadOptions extends ReadOptions {
  /** The name used in errors. */
  displayName?: string;
}

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export function readJournalFile(file: string, position: Position, options: FileReadOptions = {}): ReadChunk {
  const from = filePosition(position);
  const { maxBytes = DEFAULT_MAX_BYTES, onCorrupt = "throw", accepts, displayName = file } = options;
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { events: [], end: from, problems: [], tornTail: null, atEnd: true };
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      if (onCorrupt === "throw") throw new JournalCorrupted(displayName, 0, 0, "not-a-file");
      return { events: [], end: from, problems: [{ line: 0, offset: 0, kind: "not-a-file" }], tornTail: null, atEnd: true };
    }
    const size = st.size;
    if (size < from.offset) throw new JournalCorrupted(displayName, from.line, from.offset, "broken-chain");
    const { buf, complete } = readCompleteLines(fd, from.offset, size, maxBytes);
    const events: StoredEvent[] = [];
    const problems: Problem[] = [];
    let { offset, line, seq, hash } = from;
    let resync = false;
    let pos = 0;
    // Decoding the chunk once and slicing lines beats decoding line by line; when every byte is
    // ASCII (the usual case) string positions equal byte positions, so both views share offsets.
    const text = buf.toString("utf8", 0, complete);
    const ascii = text.length === complete;
    const report = (kind: LineProblemKind) => {
      if (onCorrupt === "throw") throw new JournalCorrupted(displayName, line, offset, kind);
      problems.push({ line, offset, kind });
    };
    while (pos < complete) {
      const nl = buf.indexOf(10, pos);
      line += 1;
      const decoded = decodeLine(buf, pos, nl, ascii ? text.slice(pos, nl) : undefined);
      if (typeof decoded === "string") {
        report(decoded);
        resync = true;
      } else if (!resync && (decoded.seq !== seq + 1 || decoded.prev !== hash)) {
        report("broken-chain");
        // A gap or a reordering still holds a good event; a repeat of a line already read does not.
        if (decoded.seq > seq) ({ seq, hash } = take(decoded));
      } else if (accepts && !accepts(decoded)) {
        report("unknown-event");
        resync = false;
        ({ seq, hash } = { seq: decoded.seq, hash: decoded.crc });
      } else {
        resync = false;
        ({ seq, hash } = take(decoded));
      }
      offset += nl + 1 - pos;
      pos = nl + 1;
    }
    const atEnd = from.offset + buf.length >= size;
    const tornTail = atEnd && offset < size ? { line: line + 1, offset, kind: "torn-tail" as const } : null;
    const end: FilePosition = { offset, line, seq, hash };
    return { events, end, problems, tornTail, atEnd };

    function take(e: StoredEvent) {
      events.push(e);
      return { seq: e.seq, hash: e.crc };
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads from `offset` about `maxBytes`, extended to the next newline; returns how many bytes are whole lines. */
function readCompleteLines(fd: number, offset: number, size: number, maxBytes: number): { buf: Buffer; complete: number } {
  let want = Math.min(size - offset, maxBytes);
  for (;;) {
    const buf = Buffer.allocUnsafe(want);
    const got = readFully(fd, buf, offset);
    const view = got === want ? buf : buf.subarray(0, got);
    const lastNl = view.lastIndexOf(10);
    if (lastNl >= 0 || offset + got >= size) return { buf: view, complete: lastNl + 1 };
    want = Math.min(size - offset, want * 2); // one line longer than maxBytes
  }
}

function readFully(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * The last complete line of a file and where the good bytes end, for a writer that must chain onto it.
 * Reads backwards in growing windows so a long line costs no more than its length.
 */
export function readTail(fd: number, size: number, displayName: string): { goodSize: number; seq: number; hash: string } {
  let window = Math.min(size, 64 * 1024);
  for (;;) {
    const start = size - window;
    const buf = Buffer.allocUnsafe(window);
    readFully(fd, buf, start);
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0 && start === 0) return { goodSize: 0, seq: 0, hash: GENESIS_HASH };
    if (lastNl >= 0) {
      const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(10, lastNl - 1);
      if (prevNl >= 0 || start === 0) {
        const decoded = decodeLine(buf, prevNl + 1, lastNl);
        if (typeof decoded === "string") {
          const offset = start + prevNl + 1;
          throw new JournalCorrupted(displayName, countLines(fd, offset) + 1, offset, decoded);
        }
        return { goodSize: start + lastNl + 1, seq: decoded.seq, hash: decoded.crc };
      }
    }
    window = Math.min(size, window * 2);
  }
}

/** How many newlines the first `end` bytes of a file hold (for naming a line in an error). */
function countLines(fd: number, end: number): number {
  const buf = Buffer.allocUnsafe(Math.min(end, 1 << 20));
  let lines = 0;
  for (let at = 0; at < end; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
    if (n === 0) break;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    at += n;
  }
  return lines;
}

/** True when the complete line ending at `position.offset` is the event `position` names (its seq and crc). */
export function lineEndsAt(file: string, at: Position): boolean {
  const position = filePosition(at);
  if (position.offset === 0) return position.seq === 0;
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return false;
  }
  try {
    if (fstatSync(fd).size < position.offset) return false;
    const tail = readTail(fd, position.offset, file);
    return tail.goodSize === position.offset && tail.seq === position.seq && tail.hash === position.hash;
  } catch {
    return false; // the line there is damaged
  } finally {
    closeSync(fd);
  }
}
