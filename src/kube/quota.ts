import type { Kube } from './http.js';
import type { List, ResourceQuota } from './types.js';

/** One line of a namespace's quota: how much of a resource is in use, of how much. */
export interface QuotaUsage {
  readonly resource: string;
  readonly used: string;
  readonly hard: string;
}

/** Pure: the usage lines of the namespace's ResourceQuotas (status.hard/used), in a stable order. */
export function quotaUsage(quotas: readonly ResourceQuota[]): QuotaUsage[] {
  const out: QuotaUsage[] = [];
  for (const q of quotas) {
    const hard = q.status?.hard ?? q.spec?.hard ?? {};
    const used = q.status?.used ?? {};
    for (const resource of Object.keys(hard).sort()) {
      const prefix = quotas.length > 1 ? `${q.metadata?.name ?? ''}: ` : '';
      out.push({ resource: `${prefix}${resource}`, used: used[resource] ?? '0', hard: hard[resource] ?? '' });
    }
  }
  return out;
}

/** Reads the ResourceQuotas of a namespace (what its environment uses of its budget). */
export async function readQuotaUsage(kube: Kube, namespace: string, signal?: AbortSignal): Promise<QuotaUsage[]> {
  const list = await kube.request<List<ResourceQuota>>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/resourcequotas`, ...(signal ? { signal } : {}) });
  return quotaUsage(list.items ?? []);
}
