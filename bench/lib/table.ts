/** The console / README table of a benchmark run. */
import type { CaseResult, MetricRow } from './context.ts';
import { fmtMs, fmtSummary, type Summary } from './stats.ts';

function cell(row: MetricRow, s: Summary | undefined): string {
  if (!s || !s.n) return '-';
  if (row.unit === 'ms') return fmtSummary(s);
  const f = (x: number): string => (row.unit === 'bytes' ? fmtBytes(x) : String(Math.round(x)));
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export function fmtBytes(b: number): string {
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : b >= 1024 ? `${(b / 1024).toFixed(0)} kB` : `${b} B`;
}

function ratio(a: Summary | undefined, b: Summary | undefined): string {
  if (!a?.n || !b?.n || !b.median) return '-';
  return `${(a.median / b.median).toFixed(2)}`;
}

/** A Markdown table: one line per metric, medians with (min–max), and the ratios. */
export function markdownTable(cases: readonly CaseResult[]): string {
  const out = ['| case | metric | action | kubectl | helm | action / kubectl | action / helm |', '|---|---|---|---|---|---|---|'];
  for (const c of cases) {
    for (const row of c.rows) {
      out.push(`| ${c.title} | ${row.metric} | ${cell(row, row.action)} | ${cell(row, row.kubectl)} | ${cell(row, row.helm)} | ${ratio(row.action, row.kubectl)} | ${ratio(row.action, row.helm)} |`);
    }
  }
  return out.join('\n');
}

export { fmtMs };
