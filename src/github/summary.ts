import type { Result } from '../report.js';
import { escapeHtml } from './escape.js';

/** GitHub drops a step summary over 1 MiB; stay well below it. */
export const SUMMARY_LIMIT_BYTES = 900 * 1024;

const ICON: Record<string, string> = { success: '✅', failure: '❌', cancelled: '⚪' };

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><tr>${th}</tr>\n${trs}</table>\n`;
}

export function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}

/** Extra sections a command adds to the summary, already rendered (escaped) HTML. */
export type SummarySection = string;

/** Pure: the job summary of one command, escaped and cut to the size limit with a note. */
export function renderSummary(result: Result, sections: readonly SummarySection[] = []): string {
  const parts: string[] = [];
  const title = `kube-ephemeral ${result.command}${result.dryRun ? ' (dry run)' : ''}: ${result.status}`;
  parts.push(`<h2>${ICON[result.status] ?? ''} ${escapeHtml(title)}</h2>\n`);
  if (result.cause) parts.push(`<p><strong>Cause:</strong> ${escapeHtml(result.cause)}</p>\n`);
  const facts: string[][] = [];
  if (result.namespace) facts.push(['Namespace', result.namespace]);
  if (result.serverVersion) facts.push(['Kubernetes', result.serverVersion]);
  facts.push(['Duration', ms(result.durationMs)]);
  parts.push(table(['', ''], facts));
  if (result.phases.length) {
    parts.push('<h3>Phases</h3>\n');
    parts.push(table(['Phase', 'Duration', 'Result'], result.phases.map((p) => [p.name, ms(p.durationMs), p.ok ? 'ok' : 'failed'])));
  }
  if (result.resources.length) {
    parts.push('<h3>Objects</h3>\n');
    parts.push(table(['Kind', 'Name', 'Action'], result.resources.map((r) => [r.kind, r.name, r.action])));
  }
  parts.push(...sections);
  return truncate(parts.join(''), SUMMARY_LIMIT_BYTES);
}

/** Cuts at a part boundary so that no tag is left open, and says so. */
export function truncate(html: string, limit: number): string {
  if (Buffer.byteLength(html) <= limit) return html;
  const note = '\n<p><em>The summary was cut here to stay under GitHub’s 1 MiB limit; the full output is in the step log.</em></p>\n';
  let cut = html.slice(0, limit - note.length);
  while (Buffer.byteLength(cut) > limit - Buffer.byteLength(note)) cut = cut.slice(0, -1024);
  const lastTag = Math.max(cut.lastIndexOf('</table>\n') + 9, cut.lastIndexOf('</p>\n') + 5, cut.lastIndexOf('</pre>\n') + 7, cut.lastIndexOf('</h3>\n') + 6);
  return (lastTag > 8 ? cut.slice(0, lastTag) : '') + note;
}
