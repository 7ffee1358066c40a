/** What the workflow_dispatch operations (apply, scale, restart, rollback, status) share. */
import type { RunContext } from '../context.js';
import { InputError } from '../errors.js';
import { escapeHtml } from '../github/escape.js';
import type { Inputs } from '../inputs.js';
import type { Report } from '../report.js';
import { environmentNamespace } from '../environment/naming.js';
import { prNumberOf } from '../environment/target.js';

/**
 * Pure: the namespace an operation works in: `namespace`, else the PR's environment when a PR
 * number resolves (pr-number or the pull_request event), else undefined.
 */
export function operationNamespace(inputs: Inputs, ctx: RunContext): string | undefined {
  if (inputs.namespace) return inputs.namespace;
  const pr = prNumberOf(inputs, ctx);
  if (pr === undefined || !ctx.owner || !ctx.repo) return undefined;
  return environmentNamespace(inputs.namespacePrefix, pr, ctx.owner, ctx.repo);
}

/** Like operationNamespace, but required: an InputError (before any change) when none resolves. */
export function requireNamespace(inputs: Inputs, ctx: RunContext): string {
  const ns = operationNamespace(inputs, ctx);
  if (!ns) {
    throw new InputError(
      `namespace: required for command ${inputs.command} when no PR number resolves (event '${ctx.eventName || 'unknown'}'); set namespace, or pr-number for a PR's environment`,
    );
  }
  return ns;
}

/** Pure: an escaped HTML table for the job summary. */
export function htmlTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><tr>${th}</tr>\n${trs}</table>\n`;
}

/** Pure: an escaped <pre> block (log lines, never interpreted). */
export function htmlPre(lines: readonly string[]): string {
  const body = lines.map((l) => l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')).join('\n');
  return `<pre>${body}</pre>\n`;
}

/** Adds a rendered (escaped) section to the job summary, after the standard part. */
export function addSummarySection(report: Report, html: string): void {
  const prev = (report.extra.summarySections as string[] | undefined) ?? [];
  report.set('summarySections', [...prev, html]);
}

export function heading(text: string): string {
  return `<h3>${escapeHtml(text)}</h3>\n`;
}

/** `1h 2m`, `45s`: an age for people. */
export function age(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60) ? ` ${Math.floor((seconds % 3600) / 60)}m` : ''}`;
  return `${Math.floor(seconds / 86_400)}d`;
}
