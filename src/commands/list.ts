import { ANNOTATION, LABEL, MANAGED_BY, MANAGER } from '../environment/ownership.js';
import type { List, Namespace } from '../kube/types.js';
import { addSummarySection, age, heading, htmlTable } from './ops-common.js';
import type { CommandFn } from './types.js';

export interface EnvironmentRow {
  readonly namespace: string;
  readonly repository: string;
  readonly pr: string;
  readonly ageSeconds: number;
  readonly expiresAt: string;
  readonly phase: string;
}

/** Pure: one row per managed namespace, oldest first. */
export function environmentRows(items: readonly Namespace[], nowMs: number): EnvironmentRow[] {
  return items
    .map((ns) => {
      const m = ns.metadata ?? {};
      const created = Date.parse(m.creationTimestamp ?? '');
      return {
        namespace: m.name ?? '',
        repository: m.annotations?.[ANNOTATION.repository] ?? m.labels?.[LABEL.repo] ?? '',
        pr: m.labels?.[LABEL.pr] ?? '',
        ageSeconds: Number.isFinite(created) ? Math.max(0, Math.round((nowMs - created) / 1000)) : 0,
        expiresAt: m.annotations?.[ANNOTATION.expiresAt] ?? '',
        phase: m.deletionTimestamp ? 'Terminating' : (ns.status?.phase ?? ''),
      };
    })
    .sort((a, b) => b.ageSeconds - a.ageSeconds || a.namespace.localeCompare(b.namespace));
}

/** `command: list`: every environment this action manages, in any repository. */
export const list: CommandFn = async ({ kube, log, report, clock, signal }) => {
  const res = await kube.request<List<Namespace>>({
    method: 'GET',
    path: '/api/v1/namespaces',
    query: { labelSelector: `${MANAGED_BY}=${MANAGER}` },
    signal,
  });
  const rows = environmentRows(res.items, clock.now());
  log.info(`${rows.length} environment(s) managed by kube-ephemeral`);
  for (const r of rows) {
    log.info(`  ${r.namespace}  repo=${r.repository} pr=${r.pr || '-'} age=${age(r.ageSeconds)} expires-at=${r.expiresAt || '-'} ${r.phase}`);
  }
  report.set('environments', rows);
  addSummarySection(
    report,
    heading(`Environments managed by kube-ephemeral (${rows.length})`) +
      htmlTable(
        ['Namespace', 'Repository', 'PR', 'Age', 'Expires at', 'Phase'],
        rows.map((r) => [r.namespace, r.repository, r.pr || '-', age(r.ageSeconds), r.expiresAt || '-', r.phase]),
      ),
  );
};
