import { ActionError } from '../errors.js';
import { isNotFound } from './errors.js';
import type { Kube } from './http.js';
import { Informer } from './informer.js';
import type { KubeObject, Namespace } from './types.js';
import { TimeoutError, waitUntil } from './wait.js';

export async function readNamespace(kube: Kube, name: string, signal?: AbortSignal): Promise<Namespace | undefined> {
  try {
    return await kube.request<Namespace>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(name)}`, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Pure: what keeps a Terminating namespace from going away, from its status conditions. */
export function terminationBlockers(ns: Namespace | undefined): string[] {
  const interesting = new Set([
    'NamespaceContentRemaining',
    'NamespaceFinalizersRemaining',
    'NamespaceDeletionDiscoveryFailure',
    'NamespaceDeletionContentFailure',
    'NamespaceDeletionGroupVersionParsingFailure',
  ]);
  const out = (ns?.status?.conditions ?? [])
    .filter((c) => interesting.has(c.type) && c.status === 'True')
    .map((c) => `${c.type}: ${(c.message ?? c.reason ?? '').replace(/\s+/g, ' ')}`);
  const fin = ns?.spec?.finalizers ?? [];
  if (!out.length && fin.length) out.push(`namespace finalizers still set: ${fin.join(', ')}`);
  return out;
}

/** Watches until the namespace no longer exists; false at the deadline. */
export async function waitNamespaceGone(kube: Kube, name: string, o: { timeoutMs: number; signal: AbortSignal }): Promise<boolean> {
  const inf = new Informer<Namespace>(kube, '/api/v1/namespaces', { fieldSelector: `metadata.name=${name}` });
  try {
    await waitUntil([inf as Informer<KubeObject>], () => (inf.items.size === 0 ? true : undefined), o);
    return true;
  } catch (err) {
    if (err instanceof TimeoutError) return false;
    throw err;
  }
}

export interface DeleteOutcome {
  readonly state: 'deleted' | 'absent' | 'stuck';
  /** For stuck: what blocks it. */
  readonly blockers: readonly string[];
}

/** Deletes a namespace and waits until it is gone; a namespace stuck in Terminating is reported, not forced. */
export async function deleteNamespace(kube: Kube, name: string, o: { timeoutMs: number; signal: AbortSignal; dryRun?: boolean }): Promise<DeleteOutcome> {
  try {
    await kube.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/${encodeURIComponent(name)}`,
      query: o.dryRun ? { dryRun: 'All' } : {},
      signal: o.signal,
      retry: true,
    });
  } catch (err) {
    if (isNotFound(err)) return { state: 'absent', blockers: [] };
    throw err;
  }
  if (o.dryRun) return { state: 'deleted', blockers: [] };
  if (await waitNamespaceGone(kube, name, o)) return { state: 'deleted', blockers: [] };
  const ns = await readNamespace(kube, name, o.signal);
  if (!ns) return { state: 'deleted', blockers: [] };
  const blockers = terminationBlockers(ns);
  return { state: 'stuck', blockers: blockers.length ? blockers : ['the namespace controller has not finished; no condition says why'] };
}

/** Pods are refused in a new namespace until its `default` ServiceAccount exists; wait for it (watch, no polling). */
export async function waitDefaultServiceAccount(kube: Kube, namespace: string, o: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  const inf = new Informer<KubeObject>(kube, `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts`, {
    fieldSelector: 'metadata.name=default',
  });
  try {
    await waitUntil([inf], () => (inf.items.size > 0 ? true : undefined), o);
  } catch (err) {
    if (err instanceof TimeoutError) {
      throw new ActionError(`namespace ${namespace} has no default ServiceAccount after ${Math.round(o.timeoutMs / 1000)} s: is kube-controller-manager running?`);
    }
    throw err;
  }
}
