import type { Result } from '../report.js';
import type { QuotaUsage } from '../kube/quota.js';
import { escapeHtml, escapePreLine } from './escape.js';

/** GitHub drops a step summary over 1 MiB; stay well below it. */
export const SUMMARY_LIMIT_BYTES = 900 * 1024;

const ICON: Record<string, string> = { success: '✅', failure: '❌', cancelled: '⚪' };
const TEST_ICON: Record<string, string> = { passed: '✅', failed: '❌', skipped: '⏭️' };
const CUT_NOTE =
  '<p><em>Parts of this summary were cut to stay under GitHub’s 1 MiB limit; the full output is in the step log.</em></p>\n';
/** The failure's details get at most this much, so that the sections after them still fit. */
const DETAILS_BYTES = 256 * 1024;
/** A cell or the cause longer than this is shortened (the step log has all of it). */
const MAX_CELL = 1_000;

/** Extra sections a command adds to the summary, already rendered (escaped) HTML. */
export type SummarySection = string;

/** Lines from a pod log (or any untrusted text) for a collapsible <pre> section. */
export interface LogExcerpt {
  readonly title: string;
  readonly lines: readonly string[];
}

export interface SummaryExtras {
  /** The step's outputs (app-url, test-result, test-exit-code, job-name). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Lines that explain a failure (events, last log lines), from the error. */
  readonly details?: readonly string[];
  /** For tests; defaults to SUMMARY_LIMIT_BYTES. */
  readonly limitBytes?: number;
}

export function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function cell(text: string): string {
  return escapeHtml(text.length > MAX_CELL ? `${text.slice(0, MAX_CELL)}…` : text);
}

/** A table with as many rows as fit in `budget` bytes, and a last row saying how many did not. */
export function fitTable(head: readonly string[], rows: readonly (readonly string[])[], budget: number): { html: string; cut: boolean } {
  const open = `<table><tr>${head.map((h) => `<th>${cell(h)}</th>`).join('')}</tr>\n`;
  const close = '</table>\n';
  const omittedRow = (n: number): string => `<tr><td colspan="${head.length}"><em>… ${n} more not shown</em></td></tr>\n`;
  const reserve = bytes(open) + bytes(close) + bytes(omittedRow(rows.length));
  if (reserve > budget) return { html: '', cut: rows.length > 0 };
  let html = open;
  let used = reserve;
  let shown = 0;
  for (const r of rows) {
    const tr = `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>\n`;
    if (used + bytes(tr) > budget) break;
    html += tr;
    used += bytes(tr);
    shown++;
  }
  if (shown < rows.length) html += omittedRow(rows.length - shown);
  return { html: html + close, cut: shown < rows.length };
}

/**
 * A collapsible <pre> of untrusted lines (escaped, controls removed), keeping the LAST lines that
 * fit in `budget` bytes: the end of a log is where a failure shows.
 */
export function fitLog(excerpt: LogExcerpt, budget: number, open = false): { html: string; cut: boolean } {
  const total = excerpt.lines.length;
  const head = (shown: number, cutShort = shown < total): string => {
    const what = cutShort ? `last ${shown} of ${total} lines` : `${total} line${total === 1 ? '' : 's'}`;
    return `<details${open ? ' open' : ''}><summary>${cell(excerpt.title)} (${what})</summary>\n<pre>\n`;
  };
  const tail = '</pre>\n</details>\n';
  // Room for the longest heading ("last <total> of <total> lines").
  const fixed = bytes(head(total, true)) + bytes(tail);
  if (fixed > budget || total === 0) return { html: '', cut: total > 0 };
  const kept: string[] = [];
  let used = fixed;
  for (let i = total - 1; i >= 0; i--) {
    const line = `${escapePreLine(excerpt.lines[i] ?? '')}\n`;
    if (used + bytes(line) > budget) break;
    kept.push(line);
    used += bytes(line);
  }
  kept.reverse();
  return { html: head(kept.length) + kept.join('') + tail, cut: kept.length < total };
}

function isQuota(v: unknown): v is readonly QuotaUsage[] {
  return Array.isArray(v) && v.every((q: QuotaUsage) => q && typeof q.resource === 'string' && typeof q.used === 'string' && typeof q.hard === 'string');
}

function facts(result: Result, outputs: Readonly<Record<string, string>>): string[][] {
  const rows: string[][] = [];
  if (result.namespace) rows.push(['Namespace', result.namespace]);
  if (outputs['app-url']) rows.push(['App URL', outputs['app-url']]);
  if (typeof result.expiresAt === 'string') rows.push(['Expires', result.expiresAt]);
  const test = outputs['test-result'];
  if (test) {
    const code = outputs['test-exit-code'] ? ` (exit code ${outputs['test-exit-code']})` : '';
    rows.push(['Tests', `${TEST_ICON[test] ?? ''} ${test}${code}`.trim()]);
  }
  if (outputs['job-name']) rows.push(['Job', outputs['job-name']]);
  if (result.serverVersion) rows.push(['Kubernetes', result.serverVersion]);
  rows.push(['Duration', ms(result.durationMs)]);
  return rows;
}

/**
 * Pure: the job summary of one command. Everything from the cluster or a pod is escaped; the
 * whole stays under the size limit: tables lose rows and logs their first lines, each with a
 * note, and only whole elements are ever written (no tag is left open).
 */
export function renderSummary(result: Result, sections: readonly SummarySection[] = [], extras: SummaryExtras = {}): string {
  const outputs = extras.outputs ?? {};
  const limit = (extras.limitBytes ?? SUMMARY_LIMIT_BYTES) - bytes(CUT_NOTE);
  let html = '';
  let cut = false;
  const left = (): number => limit - bytes(html);
  const add = (part: { html: string; cut: boolean }): void => {
    html += part.html;
    cut ||= part.cut;
  };
  const addWhole = (part: string): void => {
    if (bytes(part) <= left()) html += part;
    else cut = true;
  };

  const title = `kube-ephemeral ${result.command}${result.dryRun ? ' (dry run)' : ''}: ${result.status}`;
  addWhole(`<h2>${ICON[result.status] ?? ''} ${escapeHtml(title)}</h2>\n`);
  if (result.cause) addWhole(`<p><strong>Cause:</strong> ${cell(result.cause)}</p>\n`);
  add(fitTable(['', ''], facts(result, outputs), left()));
  const addTable = (title: string, head: readonly string[], rows: readonly (readonly string[])[]): void => {
    if (!rows.length) return;
    const h3 = `<h3>${escapeHtml(title)}</h3>\n`;
    const t = fitTable(head, rows, left() - bytes(h3));
    if (t.html) html += h3;
    add(t);
  };
  addTable('Phases', ['Phase', 'Duration', 'Result'], result.phases.map((p) => [p.name, ms(p.durationMs), p.ok ? 'ok' : 'failed']));
  if (isQuota(result.quota)) addTable('Quota used', ['Resource', 'Used', 'Limit'], result.quota.map((q) => [q.resource, q.used, q.hard]));
  addTable('Objects', ['Kind', 'Name', 'Action'], result.resources.map((r) => [r.kind, r.name, r.action]));
  if (extras.details?.length) add(fitLog({ title: 'What went wrong', lines: extras.details }, Math.min(left(), DETAILS_BYTES), true));
  for (const s of sections) addWhole(s.endsWith('\n') ? s : `${s}\n`);
  return cut ? html + CUT_NOTE : html;
}

/** How much of a pod log a command may put into the summary as a section of its own. */
export const LOG_SECTION_BYTES = 128 * 1024;

/** A section of untrusted log lines (escaped, last lines kept within LOG_SECTION_BYTES), for `addSummarySection`. */
export function logSection(title: string, lines: readonly string[]): SummarySection {
  return fitLog({ title, lines }, LOG_SECTION_BYTES).html;
}

/** Adds an already rendered (escaped) section to the job summary of the run. */
export function addSummarySection(report: { readonly extra: Readonly<Record<string, unknown>>; set(key: string, value: unknown): void }, html: SummarySection): void {
  if (!html) return;
  const prev = (report.extra.summarySections as SummarySection[] | undefined) ?? [];
  report.set('summarySections', [...prev, html]);
}
