/**
 * A big numbered log (CRI lines kwok serves) and a ledger that checks a stream of its lines as they
 * arrive: none lost, none repeated, none out of order. Used by the log benchmark and the fault tests.
 * No relative imports (plain Node 24 runs this file too).
 */
const LINE = /^line (\d{6}) of \d+ /;

/** `n` numbered CRI lines, ten per millisecond from `base` (distinct, increasing timestamps). */
export function bigLog(n: number, base = Date.parse('2026-01-01T00:00:00Z')): string {
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const ms = base + Math.floor(i / 10);
    const iso = new Date(ms).toISOString(); // ...T00:00:00.123Z
    const stamp = `${iso.slice(0, 23)}${String(i % 10).padStart(3, '0')}000Z`; // nanoseconds
    parts.push(`${stamp} stdout F line ${String(i).padStart(6, '0')} of ${n} lorem ipsum dolor sit amet, consectetur adipiscing\n`);
  }
  return parts.join('');
}

/** Checks a stream of numbered lines as it arrives. */
export class LineLedger {
  private readonly seen: Uint8Array;
  private last = 0;
  unique = 0;
  duplicated = 0;
  outOfOrder = 0;
  firstAt = Number.NaN;
  lastAt = Number.NaN;
  readonly expected: number;
  constructor(expected: number) {
    this.expected = expected;
    this.seen = new Uint8Array(expected + 1);
  }
  /** True once every line has arrived. */
  add(line: string, atMs: number): boolean {
    const m = LINE.exec(line);
    if (!m) return false;
    const n = Number(m[1]);
    if (Number.isNaN(this.firstAt)) this.firstAt = atMs;
    if (n < 1 || n > this.expected) return false;
    if (this.seen[n]) this.duplicated++;
    else {
      this.seen[n] = 1;
      this.unique++;
    }
    if (n !== this.last + 1) this.outOfOrder++;
    this.last = n;
    if (this.unique === this.expected && Number.isNaN(this.lastAt)) {
      this.lastAt = atMs;
      return true;
    }
    return false;
  }
  get lost(): number {
    return this.expected - this.unique;
  }
}

