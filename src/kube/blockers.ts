import { errorMessage } from '../errors.js';
import { isForbidden } from './errors.js';
import type { Kube } from './http.js';
import { terminationBlockers } from './namespace.js';
import type { KubeObject, List, Namespace } from './types.js';

export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/**
 * Pure: the resource types the namespace controller reports as remaining, from the message of the
 * NamespaceContentRemaining condition: "Some resources are remaining: configmaps has 1 resource
 * instances, widgets.example.com has 2 resource instances".
 */
export function remainingResources(ns: Namespace | undefined): GroupResource[] {
  const c = ns?.status?.conditions?.find((x) => x.type === 'NamespaceContentRemaining' && x.status === 'True');
  const out: GroupResource[] = [];
  for (const m of (c?.message ?? '').matchAll(/([a-z0-9][a-z0-9.-]*?)\.? has \d+ resource instances/g)) {
    const gr = m[1] ?? '';
    const dot = gr.indexOf('.');
    out.push(dot < 0 ? { group: '', resource: gr } : { group: gr.slice(dot + 1), resource: gr.slice(0, dot) });
  }
  return out;
}

/** `configmaps` -> `configmap`, `policies` -> `policy`, `ingresses` -> `ingress` (items of a list carry no kind). */
export function singular(resource: string): string {
  if (resource.endsWith('ies')) return `${resource.slice(0, -3)}y`;
  if (/(ss|sh|ch|x)es$/.test(resource)) return resource.slice(0, -2);
  return resource.endsWith('s') ? resource.slice(0, -1) : resource;
}

async function collectionPath(kube: Kube, gr: GroupResource, namespace: string, signal: AbortSignal): Promise<string> {
  if (!gr.group) return `/api/v1/namespaces/${encodeURIComponent(namespace)}/${gr.resource}`;
  const g = await kube.request<{ preferredVersion?: { groupVersion?: string }; versions?: { groupVersion: string }[] }>({ method: 'GET', path: `/apis/${gr.group}`, signal });
  const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion ?? `${gr.group}/v1`;
  return `/apis/${gv}/namespaces/${encodeURIComponent(namespace)}/${gr.resource}`;
}

/** The objects still in the namespace that carry finalizers: `configmap/held has finalizers example.com/block`. */
export async function objectsWithFinalizers(kube: Kube, namespace: string, resources: readonly GroupResource[], signal: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  for (const gr of resources) {
    const what = `${gr.resource}${gr.group ? `.${gr.group}` : ''}`;
    try {
      const list = await kube.request<List<KubeObject>>({ method: 'GET', path: await collectionPath(kube, gr, namespace, signal), query: { limit: 100 }, signal });
      const held = list.items.filter((o) => (o.metadata?.finalizers ?? []).length > 0);
      for (const o of held.slice(0, 10)) {
        out.push(`${singular(gr.resource)}${gr.group ? `.${gr.group}` : ''}/${o.metadata?.name ?? '?'} has finalizers ${(o.metadata?.finalizers ?? []).join(', ')}`);
      }
      if (held.length > 10) out.push(`${what}: ${held.length - 10} more with finalizers`);
      if (!held.length && list.items.length) out.push(`${what}: ${list.items.length} object(s) remaining (${list.items.slice(0, 5).map((o) => o.metadata?.name).join(', ')})`);
    } catch (err) {
      out.push(`${what}: cannot list what remains (${isForbidden(err) ? 'forbidden for these credentials' : errorMessage(err)})`);
    }
  }
  return out;
}

/**
 * Exactly what keeps a Terminating namespace: the objects with finalizers it still holds, then
 * the namespace's own conditions. Never forces anything: the next sweep looks again.
 */
export async function namespaceBlockers(kube: Kube, ns: Namespace, signal: AbortSignal): Promise<string[]> {
  const name = ns.metadata?.name ?? '';
  const objects = await objectsWithFinalizers(kube, name, remainingResources(ns), signal);
  const conditions = terminationBlockers(ns);
  const all = [...objects, ...conditions];
  return all.length ? all : ['the namespace controller has not reported yet what remains (no NamespaceContentRemaining condition); is kube-controller-manager running?'];
}
