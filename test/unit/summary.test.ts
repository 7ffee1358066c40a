import { describe, expect, it } from 'vitest';
import { escapeHtml, escapePreLine } from '../../src/github/escape.js';
import { fitLog, fitTable, logSection, LOG_SECTION_BYTES, renderSummary, SUMMARY_LIMIT_BYTES } from '../../src/github/summary.js';
import type { Result } from '../../src/report.js';

const GITHUB_LIMIT = 1024 * 1024;

function result(over: Partial<Result> & Record<string, unknown> = {}): Result {
  return {
    command: 'up',
    status: 'failure',
    namespace: 'pr-7-shop',
    resources: [
      { kind: 'Namespace', name: 'pr-7-shop', action: 'created' },
      { kind: 'Deployment', name: 'app', action: 'created' },
    ],
    durationMs: 12_345,
    phases: [
      { name: 'Namespace pr-7-shop', durationMs: 800, ok: true },
      { name: 'Deploy', durationMs: 400, ok: true },
      { name: 'Test', durationMs: 11_000, ok: false },
    ],
    serverVersion: 'v1.37.2',
    dryRun: false,
    cause: 'job test-42-1 failed: exit code 1 <script>alert(1)</script>',
    expiresAt: '2026-11-23T11:00:00Z',
    quota: [
      { resource: 'limits.cpu', used: '500m', hard: '1' },
      { resource: 'pods', used: '2', hard: '10' },
    ],
    ...over,
  };
}

const HOSTILE = [
  '<script>alert("x")</script>',
  '</pre></details></table><h1>owned</h1>',
  '<!-- unclosed comment',
  '<img src=x onerror=alert(1)>',
  '&lt;already escaped&gt; & raw',
  '| a | b | `code` **bold**',
  '\x1b[31mred\x1b[0m \x1b[2K\x1b]0;title\x07 bell\x07 nul\x00',
  '',
  '   ',
  '# not a heading',
];

/** 2 MiB of log: hostile lines, long lines, blank lines, multibyte text. */
function bigLog(): string[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 2 * 1024 * 1024; i++) {
    const l = i % 5_000 === 0 ? 'ü€😀'.repeat(3000) : `${String(i).padStart(7, '0')} ${HOSTILE[i % HOSTILE.length]}`;
    lines.push(l);
    size += Buffer.byteLength(l) + 1;
  }
  lines.push('LAST LINE <b>end</b>');
  return lines;
}

const VOID = new Set(['br', 'hr', 'img']);

/** Every tag is closed in order; nothing but our own tags. */
function tagProblems(html: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const [, close, name = '', attrs = ''] = m;
    const tag = name.toLowerCase();
    if (!['h2', 'h3', 'p', 'strong', 'em', 'table', 'tr', 'th', 'td', 'details', 'summary', 'pre'].includes(tag)) problems.push(`unexpected <${close}${tag}${attrs}>`);
    if (VOID.has(tag)) continue;
    if (!close) stack.push(tag);
    else if (stack.pop() !== tag) problems.push(`</${tag}> does not close the open element`);
  }
  if (stack.length) problems.push(`left open: ${stack.join(', ')}`);
  if (/<!--|<script|<img/i.test(html)) problems.push('raw comment/script/img');
  return problems;
}

describe('escaping', () => {
  it('escapeHtml: one line, no tags, no table pipes, no terminal codes', () => {
    expect(escapeHtml('<a href="x">|`\n\x1b[31mred\x1b[0m')).toBe('&lt;a href=&quot;x&quot;&gt;&#124;&#96; red');
  });

  it.each([
    ['<b>&</b>', '&lt;b&gt;&amp;&lt;/b&gt;'],
    ['\x1b[1;32mgreen\x1b[0m', 'green'],
    ['progress\x1b[2K\rdone', 'progress done'],
    ['tab\tkept', 'tab\tkept'],
    ['', '&#160;'],
    ['  \t ', '&#160;'],
  ])('escapePreLine(%j)', (input, out) => {
    expect(escapePreLine(input)).toBe(out);
  });

  it('escapePreLine cuts a huge line and says so', () => {
    const out = escapePreLine('a'.repeat(1_000_000));
    expect(out.length).toBeLessThan(2_100);
    expect(out).toContain('[998000 more characters]');
  });
});

describe('renderSummary', () => {
  it('shows cause, facts, phases with durations, quota and objects', () => {
    const html = renderSummary(result(), [], { outputs: { 'app-url': 'https://pr-7.example.com', 'test-result': 'failed', 'test-exit-code': '1', 'job-name': 'test-42-1' } });
    expect(html).toContain('<h2>❌ kube-ephemeral up: failure</h2>');
    expect(html).toContain('<p><strong>Cause:</strong> job test-42-1 failed: exit code 1 &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(html).toContain('<tr><td>Tests</td><td>❌ failed (exit code 1)</td></tr>');
    expect(html).toContain('<tr><td>Expires</td><td>2026-11-23T11:00:00Z</td></tr>');
    expect(html).toContain('<tr><td>Test</td><td>11.0 s</td><td>failed</td></tr>');
    expect(html).toContain('<h3>Quota used</h3>');
    expect(html).toContain('<tr><td>limits.cpu</td><td>500m</td><td>1</td></tr>');
    expect(html).toContain('<tr><td>Deployment</td><td>app</td><td>created</td></tr>');
    expect(tagProblems(html)).toEqual([]);
    expect(html).not.toMatch(/\n\s*\n/);
  });

  it('a success without extras has no cause and no quota', () => {
    const html = renderSummary(result({ status: 'success', cause: undefined, quota: undefined }));
    expect(html).not.toContain('Cause');
    expect(html).not.toContain('Quota');
    expect(html).toContain('✅');
  });

  it('2 MiB of hostile pod log: valid, under the limit, the last lines kept, with a note', () => {
    const lines = bigLog();
    const details = ['Events:', '  Warning  BackOff  <b>x</b>', 'Last log lines of pod app-1 (app):', ...lines.slice(-20)];
    const sections = ['<h3>Extra</h3>\n<p>from another command</p>\n', logSection('Test job test-42-1 <pod>', lines)];
    const html = renderSummary(result(), sections, { details: [...details, ...lines] });
    const size = Buffer.byteLength(html);
    expect(size).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(size).toBeLessThan(GITHUB_LIMIT);
    expect(size).toBeGreaterThan(300 * 1024); // the budget is used, not thrown away
    expect(tagProblems(html)).toEqual([]);
    expect(html).not.toMatch(/\n\s*\n/); // a blank line would end the HTML block in the summary's Markdown
    expect(html).toContain('LAST LINE &lt;b&gt;end&lt;/b&gt;');
    expect(html).toMatch(/<summary>Test job test-42-1 &lt;pod&gt; \(last \d+ of \d+ lines\)<\/summary>/);
    expect(html).toMatch(/<details open><summary>What went wrong \(last \d+ of \d+ lines\)<\/summary>/);
    expect(html).toContain('<p>from another command</p>');
    expect(html.trimEnd().endsWith('step log.</em></p>')).toBe(true);
    expect(html).not.toContain('\x1b');
    expect(html).not.toContain('\x00');
  });

  it('many big log sections: whole sections until the limit, then a note', () => {
    const log = bigLog();
    const sections = Array.from({ length: 12 }, (_, i) => logSection(`pod ${i}`, log));
    const html = renderSummary(result(), sections, { details: log });
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(Buffer.byteLength(html)).toBeGreaterThan(SUMMARY_LIMIT_BYTES - LOG_SECTION_BYTES);
    expect(tagProblems(html)).toEqual([]);
    expect(html).toContain('<summary>pod 0 ');
    expect(html).not.toContain('<summary>pod 11 ');
    expect(html).toContain('cut to stay under');
  });

  it('thousands of objects: the table is cut with a row saying how many are missing, the rest still fits', () => {
    const resources = Array.from({ length: 40_000 }, (_, i) => ({ kind: 'ConfigMap', name: `cm-${i}-${'x'.repeat(20)}`, action: 'created' }));
    const html = renderSummary(result({ resources }), [], { details: ['why'] });
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(html).toMatch(/<tr><td colspan="3"><em>… \d+ more not shown<\/em><\/td><\/tr>/);
    expect(tagProblems(html)).toEqual([]);
    expect(html).toContain('cut to stay under');
  });

  it('a section too big for what is left is dropped whole, never cut inside', () => {
    const big = `<h3>Big</h3>\n<p>${'y'.repeat(100_000)}</p>\n`;
    const html = renderSummary(result(), [big], { limitBytes: 20_000 });
    expect(html).not.toContain('<h3>Big</h3>');
    expect(tagProblems(html)).toEqual([]);
    expect(html).toContain('cut to stay under');
  });

  it('a tiny limit still yields whole elements', () => {
    for (const limit of [600, 1_000, 2_000, 5_000]) {
      const html = renderSummary(result(), [logSection('log', bigLog().slice(0, 50))], { limitBytes: limit, details: bigLog().slice(0, 2_000) });
      expect(Buffer.byteLength(html)).toBeLessThanOrEqual(limit);
      expect(tagProblems(html)).toEqual([]);
    }
  });
});

describe('fitTable / fitLog', () => {
  it('fitTable keeps rows in order up to the budget', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [`k${i}`, `v${i}`]);
    const t = fitTable(['K', 'V'], rows, 1_000);
    expect(Buffer.byteLength(t.html)).toBeLessThanOrEqual(1_000);
    expect(t.cut).toBe(true);
    expect(t.html).toContain('<td>k0</td>');
    expect(t.html).not.toContain('<td>k99</td>');
  });

  it('logSection stays within its own budget', () => {
    const html = logSection('t', bigLog());
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(LOG_SECTION_BYTES);
    expect(tagProblems(html)).toEqual([]);
    expect(html).toContain('LAST LINE');
    expect(logSection('t', [])).toBe('');
  });

  it('fitLog keeps the tail', () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => `line ${i}`);
    const l = fitLog({ title: 'log', lines }, 2_000);
    expect(Buffer.byteLength(l.html)).toBeLessThanOrEqual(2_000);
    expect(l.html).toContain('line 999\n</pre>');
    expect(l.html).not.toContain('line 0\n');
    expect(fitLog({ title: 'log', lines: ['a'] }, 2_000)).toEqual({ html: '<details><summary>log (1 line)</summary>\n<pre>\na\n</pre>\n</details>\n', cut: false });
  });
});
