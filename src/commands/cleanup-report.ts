import { escapeHtml } from '../github/escape.js';

export interface SweepEntry {
  readonly namespace: string;
  readonly reason: string;
  readonly pr?: number;
}

/** What a sweep did, for the `result` output (deleted / kept / failed, with reasons) and the summary. */
export interface SweepResult {
  readonly deleted: (SweepEntry & { readonly durationMs: number })[];
  readonly wouldDelete: SweepEntry[];
  readonly kept: (SweepEntry & { readonly kind: string })[];
  readonly failed: (SweepEntry & { readonly blockers: readonly string[] })[];
}

function rows(entries: readonly { namespace: string; outcome: string; reason: string }[]): string {
  return entries.map((e) => `<tr><td>${escapeHtml(e.namespace)}</td><td>${escapeHtml(e.outcome)}</td><td>${escapeHtml(e.reason)}</td></tr>`).join('\n');
}

/** Pure: the sweep's section of the job summary, escaped. */
export function renderSweepSummary(r: SweepResult, dryRun: boolean): string {
  const counts = dryRun
    ? `${r.wouldDelete.length} would be deleted, ${r.kept.length} kept, ${r.failed.length} failed`
    : `${r.deleted.length} deleted, ${r.kept.length} kept, ${r.failed.length} failed`;
  const entries = [
    ...r.failed.map((f) => ({ namespace: f.namespace, outcome: 'failed', reason: [f.reason, ...f.blockers].join(' — ') })),
    ...r.deleted.map((d) => ({ namespace: d.namespace, outcome: 'deleted', reason: `${d.reason} (gone after ${(d.durationMs / 1000).toFixed(1)} s)` })),
    ...r.wouldDelete.map((d) => ({ namespace: d.namespace, outcome: 'would delete', reason: d.reason })),
    ...r.kept.map((k) => ({ namespace: k.namespace, outcome: 'kept', reason: k.reason })),
  ];
  const table = entries.length ? `<table><tr><th>Namespace</th><th>Outcome</th><th>Reason</th></tr>\n${rows(entries)}</table>\n` : '<p>No environment of this repository was found.</p>\n';
  return `<h3>Sweep${dryRun ? ' (dry run)' : ''}: ${escapeHtml(counts)}</h3>\n${table}`;
}
