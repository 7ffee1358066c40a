/**
 * Pure parts of following a container's log: splitting a byte stream into whole lines, and
 * resuming a dropped `timestamps=true` stream without losing or repeating a line.
 *
 * Why this works: with `timestamps=true` every line starts with its RFC3339Nano time and a space.
 * A resumed request can only say `sinceTime` with SECOND precision (the API server formats it
 * with time.RFC3339 before it goes to the kubelet), so it replays every line of that second and
 * later. The cursor remembers the newest timestamp emitted and how many lines carried exactly
 * that timestamp; on the replay it drops lines older than it and the first N lines equal to it.
 */

/** A log timestamp: whole seconds since the epoch and nanoseconds (JS Dates hold only ms). */
export interface Stamp {
  readonly sec: number;
  readonly nano: number;
}

const STAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

let cachedHead = '';
let cachedSec = 0;

/** Parses `2026-11-23T10:00:00.123456789Z` (any fraction length, Z or an offset). */
export function parseStamp(text: string): Stamp | undefined {
  const m = STAMP.exec(text);
  if (!m) return undefined;
  const head = `${m[1]}${m[3]}`;
  // Consecutive lines nearly always share the second: parse it once.
  if (head !== cachedHead) {
    const ms = Date.parse(head);
    if (!Number.isFinite(ms)) return undefined;
    cachedHead = head;
    cachedSec = ms / 1000;
  }
  const frac = m[2] ?? '';
  return { sec: cachedSec, nano: frac ? Number(frac.padEnd(9, '0')) : 0 };
}

export function compareStamps(a: Stamp, b: Stamp): number {
  return a.sec - b.sec || a.nano - b.nano;
}

/** The `sinceTime` to resume from: the stamp's second, UTC, without fraction (what the server honours). */
export function sinceTimeOf(s: Stamp): string {
  return new Date(s.sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Splits text chunks into lines. Searches only the new chunk, so a stream of any size (or one
 * huge line in many chunks) costs linear time. A trailing `\r` (CRLF output) is removed.
 */
export class LineSplitter {
  private rest = '';

  /** The complete lines in `chunk` (with what came before it); keeps an unfinished tail. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let start = 0;
    let i = chunk.indexOf('\n');
    if (i < 0) {
      this.rest += chunk;
      return out;
    }
    out.push(stripCr(this.rest + chunk.slice(0, i)));
    this.rest = '';
    start = i + 1;
    while ((i = chunk.indexOf('\n', start)) >= 0) {
      out.push(stripCr(chunk.slice(start, i)));
      start = i + 1;
    }
    this.rest = chunk.slice(start);
    return out;
  }

  /** An unfinished last line, if any (only meaningful when the server ended the response cleanly). */
  flush(): string | undefined {
    const r = this.rest;
    this.rest = '';
    return r ? stripCr(r) : undefined;
  }

  /** Forgets an unfinished line (the stream dropped: the line will come again on resume). */
  discard(): void {
    this.rest = '';
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits `<timestamp> <text>`; a line without a readable timestamp is all text. */
export function splitTimestamp(line: string): { stamp: Stamp | undefined; text: string } {
  const sp = line.indexOf(' ');
  const stamp = sp > 0 ? parseStamp(line.slice(0, sp)) : parseStamp(line);
  if (!stamp) return { stamp: undefined, text: line };
  return { stamp, text: sp > 0 ? line.slice(sp + 1) : '' };
}

/**
 * Where a container's log has been emitted up to, across any number of requests.
 * Call `request()` before each request (it gives the `sinceTime`), then `accept()` each line the
 * response carries, in order; `accept` returns the text to emit, or undefined for a repeat.
 */
export class LogCursor {
  /** Newest timestamp emitted so far. */
  private last: Stamp | undefined;
  /** How many emitted lines carry exactly `last`. */
  private atLast = 0;
  /** The replay boundary of the current request. */
  private from: Stamp | undefined;
  private skipEqual = 0;
  private seenEqual = 0;
  /** Lines emitted in total. */
  emitted = 0;

  /** Starts a new request; returns its `sinceTime` (undefined: read from the beginning). */
  request(): string | undefined {
    this.from = this.last;
    this.skipEqual = this.atLast;
    this.seenEqual = 0;
    return this.last ? sinceTimeOf(this.last) : undefined;
  }

  /** The text of a line from the current response, or undefined when it was emitted before. */
  accept(line: string): string | undefined {
    const { stamp, text } = splitTimestamp(line);
    if (!stamp) {
      // Cannot be placed; a server that ignores timestamps=true sends only these.
      this.emitted++;
      return text;
    }
    if (this.from) {
      const c = compareStamps(stamp, this.from);
      if (c < 0) return undefined;
      if (c === 0 && ++this.seenEqual <= this.skipEqual) return undefined;
    }
    if (!this.last) {
      this.last = stamp;
      this.atLast = 1;
    } else {
      const c = compareStamps(stamp, this.last);
      if (c > 0) {
        this.last = stamp;
        this.atLast = 1;
      } else if (c === 0) this.atLast++;
      // c < 0: out of order within a response; emitted, the resume point stays.
    }
    this.emitted++;
    return text;
  }

  /** The newest timestamp emitted, for messages and tests. */
  get position(): { stamp: Stamp | undefined; count: number } {
    return { stamp: this.last, count: this.atLast };
  }
}
