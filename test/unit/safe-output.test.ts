import { describe, expect, it } from 'vitest';
import { cleanLine, neutralizeCommands, openSafeSection, withSafeOutput } from '../../src/github/safe-output.js';
import type { Log } from '../../src/log.js';

function collectingLog(): Log & { text: () => string } {
  const parts: string[] = [];
  return {
    info: (m) => parts.push(`${m}\n`),
    debug: () => undefined,
    warning: (m) => parts.push(`::warning::${m}\n`),
    error: (m) => parts.push(`::error::${m}\n`),
    group: async (_n, fn) => fn(),
    write: (t) => parts.push(t),
    setSecret: () => undefined,
    text: () => parts.join(''),
  };
}

const HOSTILE = ['::error::x', '::add-mask::y', '##[set-output name=a;]b', '::stop-commands::', 'prefix ##[error]z', '  ::warning::indented'];

describe('safe output sections', () => {
  it('puts every line between ::stop-commands::<token> and ::<token>::', async () => {
    const log = collectingLog();
    const token = await withSafeOutput(log, async (s) => {
      s.lines(HOSTILE);
      return s.token;
    });
    const lines = log.text().split('\n');
    expect(lines[0]).toBe(`::stop-commands::${token}`);
    expect(lines.slice(1, -2)).toEqual(HOSTILE);
    expect(lines.at(-2)).toBe(`::${token}::`);
    expect(token).toMatch(/^ke-[0-9a-f-]{36}$/);
  });

  it('uses a new random token for every section', async () => {
    const log = collectingLog();
    const a = await withSafeOutput(log, async (s) => (s.lines(['x']), s.token));
    const b = await withSafeOutput(log, async (s) => (s.lines(['x']), s.token));
    expect(a).not.toBe(b);
  });

  it('writes no markers when nothing was printed', async () => {
    const log = collectingLog();
    await withSafeOutput(log, async () => undefined);
    expect(log.text()).toBe('');
  });

  it('closes the section when the work throws (cancel)', async () => {
    const log = collectingLog();
    let token = '';
    await expect(
      withSafeOutput(log, async (s) => {
        token = s.token;
        s.lines(['before the cancel']);
        throw new Error('cancelled');
      }),
    ).rejects.toThrow('cancelled');
    expect(log.text().trimEnd().split('\n').at(-1)).toBe(`::${token}::`);
  });

  it('never nests: a section opened inside another shares it, markers come once', () => {
    const log = collectingLog();
    const outer = openSafeSection(log);
    outer.lines(['a']);
    const inner = openSafeSection(log);
    expect(inner.token).toBe(outer.token);
    inner.lines(['b']);
    inner.close();
    inner.close(); // idempotent
    outer.lines(['c']);
    outer.close();
    expect(log.text()).toBe(`::stop-commands::${outer.token}\na\nb\nc\n::${outer.token}::\n`);
    expect(() => outer.lines(['late'])).toThrow(/closed/);
  });

  it('prefixes lines with the container only when asked (several containers)', () => {
    const log = collectingLog();
    const s = openSafeSection(log);
    s.lines(['x', ''], 'sidecar');
    s.lines(['y']);
    s.note('a note\nwith a newline');
    s.close();
    expect(log.text().split('\n').slice(1, -2)).toEqual(['[sidecar] x', '[sidecar] ', 'y', 'a note with a newline']);
  });

  it('writes a batch with one call (200 000 lines fast)', () => {
    let writes = 0;
    let bytes = 0;
    const log = { ...collectingLog(), write: (t: string) => ((writes += 1), (bytes += t.length)) };
    const s = openSafeSection(log);
    const batch = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(60)}`);
    const t0 = performance.now();
    for (let i = 0; i < 400; i++) s.lines(batch, 'c');
    s.close();
    expect(writes).toBe(401);
    expect(bytes).toBeGreaterThan(200_000 * 60);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('cleanLine', () => {
  it.each([
    ['plain', 'plain'],
    ['\x1b[31mred\x1b[0m', '\x1b[31mred\x1b[0m'], // colours stay
    ['\x1b[2K\x1b[1Gprogress 50%', 'progress 50%'], // erase line, cursor column: noise
    ['a\x1b[1Ab', 'ab'],
    ['10%\r20%', '10%\r20%'], // content stays
  ])('%j -> %j', (input, out) => expect(cleanLine(input)).toBe(out));
});

describe('neutralizeCommands', () => {
  it.each([
    ['::error::x', '| ::error::x'],
    ['   ::add-mask::y', '|    ::add-mask::y'],
    ['##[set-output name=a;]b', '#\u200b#[set-output name=a;]b'],
    ['text ##[error]z', 'text #\u200b#[error]z'],
    ['plain: text', 'plain: text'],
  ])('%j -> %j', (input, out) => {
    const n = neutralizeCommands(input);
    expect(n).toBe(out);
    expect(n.trimStart().startsWith('::')).toBe(false);
    expect(n.includes('##[')).toBe(false);
  });
});
