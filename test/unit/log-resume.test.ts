import { describe, expect, it } from 'vitest';
import { LineSplitter, LogCursor, compareStamps, parseStamp, sinceTimeOf, splitTimestamp } from '../../src/kube/log-resume.js';

/** A container's log as a kubelet stores it: [timestamp as the server prints it (RFC3339Nano, zeros trimmed), text]. */
const LOG: readonly (readonly [string, string])[] = [
  ['2026-11-23T10:00:00.1Z', 'a'],
  ['2026-11-23T10:00:00.5Z', 'b'],
  ['2026-11-23T10:00:00.5Z', 'c'], // equal timestamps
  ['2026-11-23T10:00:00.5Z', 'c'], // equal timestamp AND equal text
  ['2026-11-23T10:00:01Z', 'd'], // whole second, no fraction
  ['2026-11-23T10:00:01.000000001Z', 'e'],
  ['2026-11-23T10:00:01.000000001Z', ''], // empty line
  ['2026-11-23T10:00:01.999999999Z', 'f'],
  ['2026-11-23T12:00:02.25+02:00', 'g'], // an offset: 10:00:02.25Z
  ['2026-11-23T10:00:02.25Z', 'h'],
  ['2026-11-23T10:00:05Z', '::error::i ##[x] \t tab'],
];

const stampOf = (ts: string) => {
  const s = parseStamp(ts);
  if (!s) throw new Error(`bad stamp ${ts}`);
  return s;
};

/** What the API server answers to `timestamps=true[&sinceTime=...]`: sinceTime has second precision. */
function serve(sinceTime: string | undefined): string[] {
  const since = sinceTime ? Date.parse(sinceTime) / 1000 : -Infinity;
  expect(sinceTime === undefined || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(sinceTime)).toBe(true);
  return LOG.filter(([ts]) => stampOf(ts).sec >= since).map(([ts, text]) => `${ts} ${text}`);
}

/** Follows with drops: request i is cut after drops[i] lines (the rest of the plan: read to the end). */
function followWithDrops(drops: readonly number[]): string[] {
  const cursor = new LogCursor();
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const lines = serve(cursor.request());
    const cut = drops[i];
    const got = cut === undefined ? lines : lines.slice(0, cut);
    for (const l of got) {
      const t = cursor.accept(l);
      if (t !== undefined) out.push(t);
    }
    if (cut === undefined) return out;
  }
}

const ALL = LOG.map(([, t]) => t);

describe('parseStamp / sinceTimeOf', () => {
  it.each([
    ['2026-11-23T10:00:00Z', 0],
    ['2026-11-23T10:00:00.1Z', 100_000_000],
    ['2026-11-23T10:00:00.123456789Z', 123_456_789],
    ['2026-11-23T10:00:00.000000001Z', 1],
  ])('%s has %d ns', (ts, nano) => expect(stampOf(ts).nano).toBe(nano));

  it('reads offsets', () => expect(compareStamps(stampOf('2026-11-23T12:00:02.25+02:00'), stampOf('2026-11-23T10:00:02.25Z'))).toBe(0));

  it('orders by nanoseconds, not by the text', () => {
    // As text "…01Z" > "…01.5Z"; in time it is earlier.
    expect(compareStamps(stampOf('2026-11-23T10:00:01Z'), stampOf('2026-11-23T10:00:01.5Z'))).toBeLessThan(0);
    expect(compareStamps(stampOf('2026-11-23T10:00:01.9Z'), stampOf('2026-11-23T10:00:01.10Z'))).toBeGreaterThan(0);
  });

  it.each(['', 'hello', '2026-11-23 10:00:00Z', '2026-11-23T10:00:00.1234567890Z', '2026-11-23T10:00:00'])('rejects %j', (ts) => expect(parseStamp(ts)).toBeUndefined());

  it('gives the second, in UTC, without fraction', () => {
    expect(sinceTimeOf(stampOf('2026-11-23T10:00:01.999999999Z'))).toBe('2026-11-23T10:00:01Z');
    expect(sinceTimeOf(stampOf('2026-11-23T12:00:02.25+02:00'))).toBe('2026-11-23T10:00:02Z');
  });

  it('splits timestamp and text, keeping spaces of the text', () => {
    expect(splitTimestamp('2026-11-23T10:00:00Z  two spaces')).toMatchObject({ text: ' two spaces' });
    expect(splitTimestamp('2026-11-23T10:00:00Z ')).toMatchObject({ text: '' });
    expect(splitTimestamp('no timestamp here')).toEqual({ stamp: undefined, text: 'no timestamp here' });
  });
});

describe('LogCursor: resume with second-precision sinceTime', () => {
  it('reads everything at once', () => expect(followWithDrops([])).toEqual(ALL));

  it.each(Array.from({ length: LOG.length + 1 }, (_, k) => k))('a drop after %d lines loses and repeats nothing', (k) => {
    expect(followWithDrops([k])).toEqual(ALL);
  });

  it('two drops at every pair of positions lose and repeat nothing', () => {
    for (let a = 0; a <= LOG.length; a++) {
      for (let b = 0; b <= LOG.length; b++) expect(followWithDrops([a, b]), `drops ${a},${b}`).toEqual(ALL);
    }
  });

  it('a drop that returns nothing, repeatedly, changes nothing', () => expect(followWithDrops([3, 0, 0, 0])).toEqual(ALL));

  it('the final non-follow read after a complete follow emits nothing', () => {
    const cursor = new LogCursor();
    for (const l of serve(cursor.request())) cursor.accept(l);
    const again = serve(cursor.request()).map((l) => cursor.accept(l)).filter((t) => t !== undefined);
    expect(again).toEqual([]);
    expect(cursor.emitted).toBe(LOG.length);
  });

  it('asks from the beginning first, then from the second of the newest line', () => {
    const cursor = new LogCursor();
    expect(cursor.request()).toBeUndefined();
    cursor.accept('2026-11-23T10:00:01.999999999Z x');
    expect(cursor.request()).toBe('2026-11-23T10:00:01Z');
  });

  it('new lines with the same timestamp as the last emitted one come through after a resume', () => {
    const cursor = new LogCursor();
    cursor.request();
    expect(cursor.accept('2026-11-23T10:00:00.5Z x')).toBe('x');
    cursor.request();
    // replay: the known line is dropped, a second line of that same nanosecond is new
    expect(cursor.accept('2026-11-23T10:00:00.5Z x')).toBeUndefined();
    expect(cursor.accept('2026-11-23T10:00:00.5Z x')).toBe('x');
    cursor.request();
    expect(cursor.accept('2026-11-23T10:00:00.5Z x')).toBeUndefined();
    expect(cursor.accept('2026-11-23T10:00:00.5Z x')).toBeUndefined();
    expect(cursor.accept('2026-11-23T10:00:00.6Z y')).toBe('y');
  });

  it('a rotated log (older lines gone) resumes with what is newer', () => {
    const cursor = new LogCursor();
    cursor.request();
    cursor.accept('2026-11-23T10:00:00.1Z a');
    cursor.accept('2026-11-23T10:00:00.2Z b');
    cursor.request();
    // after rotation the new file starts later than the last emitted line
    expect(cursor.accept('2026-11-23T10:00:00.3Z c')).toBe('c');
  });
});

describe('LineSplitter', () => {
  const text = 'one\ntwo\r\n\nfour ünïcødé\r\nfive';

  it('splits a response cut at every position into the same lines', () => {
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        const s = new LineSplitter();
        const lines = [...s.push(text.slice(0, i)), ...s.push(text.slice(i, j)), ...s.push(text.slice(j))];
        expect([...lines, s.flush()], `cut at ${i},${j}`).toEqual(['one', 'two', '', 'four ünïcødé', 'five']);
      }
    }
  });

  it('keeps a \\r inside a line and strips only CRLF', () => {
    const s = new LineSplitter();
    expect(s.push('10%\r20%\r100%\r\n')).toEqual(['10%\r20%\r100%']);
  });

  it('discards an unfinished line (it comes again after a resume)', () => {
    const s = new LineSplitter();
    expect(s.push('a\npart')).toEqual(['a']);
    s.discard();
    expect(s.flush()).toBeUndefined();
  });

  it('is linear: 200 000 lines in 64 KiB chunks, and one 8 MiB line in 1 KiB chunks', () => {
    const big = Array.from({ length: 200_000 }, (_, i) => `2026-11-23T10:00:00.${String(i).padStart(9, '0')}Z line ${i} ${'x'.repeat(40)}`).join('\n') + '\n';
    const t0 = performance.now();
    const s = new LineSplitter();
    const cursor = new LogCursor();
    cursor.request();
    let n = 0;
    for (let i = 0; i < big.length; i += 65536) {
      for (const l of s.push(big.slice(i, i + 65536))) if (cursor.accept(l) !== undefined) n++;
    }
    expect(n).toBe(200_000);
    const long = 'y'.repeat(1024);
    const s2 = new LineSplitter();
    for (let i = 0; i < 8192; i++) expect(s2.push(long)).toEqual([]);
    expect(s2.push('\n')[0]?.length).toBe(8 * 1024 * 1024);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
