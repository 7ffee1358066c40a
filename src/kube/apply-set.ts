import { ActionError, InputError } from '../errors.js';
import type { Log } from '../log.js';
import type { Report } from '../report.js';
import { Applier, describeObject, type Applied } from './apply.js';
import type { Discovery } from './discovery.js';
import type { Kube } from './http.js';
import { Informer } from './informer.js';
import type { KubeObject } from './types.js';
import { TimeoutError, waitUntil } from './wait.js';

/** Apply order: what others depend on first (CRDs, namespaces, limits, config), workloads after. */
const RANK: Record<string, number> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  LimitRange: 2,
  ResourceQuota: 3,
  PriorityClass: 3,
  StorageClass: 3,
  ServiceAccount: 4,
  Secret: 4,
  ConfigMap: 4,
  ClusterRole: 4,
  Role: 4,
  ClusterRoleBinding: 5,
  RoleBinding: 5,
  PersistentVolume: 5,
  PersistentVolumeClaim: 5,
  NetworkPolicy: 5,
  Service: 6,
  PodDisruptionBudget: 6,
  Deployment: 7,
  StatefulSet: 7,
  DaemonSet: 7,
  ReplicaSet: 7,
  Job: 7,
  CronJob: 7,
  Pod: 7,
  HorizontalPodAutoscaler: 8,
  Ingress: 8,
};
const OTHER = 9; // custom resources and anything else, after the CRDs they need

/** Pure: objects grouped in apply order; objects in one group go in parallel. */
export function applyGroups(objects: readonly KubeObject[]): KubeObject[][] {
  const groups = new Map<number, KubeObject[]>();
  for (const o of objects) {
    const r = RANK[o.kind ?? ''] ?? OTHER;
    groups.set(r, [...(groups.get(r) ?? []), o]);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

export interface ApplySetOptions {
  readonly dryRun: boolean;
  readonly force?: boolean;
  readonly detectUnchanged?: boolean;
  /** Set on every namespaced object (overrides the manifest's own). */
  readonly namespace?: string;
  /** Refuse cluster-scoped objects (they would outlive the namespace). */
  readonly namespacedOnly?: string;
  /** Extra labels on every object's metadata. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly log: Log;
  readonly report: Report;
  readonly timeoutMs: number;
}

/** Pure: `group/Kind` of the custom resources whose CRDs are among `objects` (known only once applied). */
export function kindsFromCrds(objects: readonly KubeObject[]): Set<string> {
  return new Set(
    objects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => {
        const spec = (o as { spec?: { group?: string; names?: { kind?: string } } }).spec;
        return `${spec?.group ?? ''}/${spec?.names?.kind ?? ''}`;
      }),
  );
}

/** Pure: `group/Kind` of an object (`/ConfigMap` for the core group). */
export function groupKind(o: KubeObject): string {
  const v = o.apiVersion ?? '';
  return `${v.includes('/') ? v.split('/')[0] : ''}/${o.kind ?? ''}`;
}

/**
 * Before any change: every kind is served by the API server (or its CRD is in the same set), and
 * with `namespacedOnly` none is cluster-scoped. Refuses the whole set, naming the first bad object.
 */
export async function checkKinds(discovery: Pick<Discovery, 'lookup'>, objects: readonly KubeObject[], o: { input: string; namespacedOnly?: boolean }): Promise<void> {
  const pending = kindsFromCrds(objects);
  for (const obj of objects) {
    if (pending.has(groupKind(obj))) continue;
    let info;
    try {
      info = await discovery.lookup(obj.apiVersion ?? '', obj.kind ?? '');
    } catch (err) {
      if (err instanceof ActionError) throw new InputError(`${o.input}: ${describeObject(obj)}: ${err.message}`);
      throw err;
    }
    if (!info.namespaced && o.namespacedOnly) {
      throw new InputError(`${o.input}: ${describeObject(obj)} is cluster-scoped; only namespaced objects can go into the environment's namespace (use command apply for cluster-scoped objects)`);
    }
  }
}

/** Applies the objects group by group, printing and recording each one. */
export async function applySet(kube: Kube, applier: Applier, objects: readonly KubeObject[], o: ApplySetOptions): Promise<Applied[]> {
  await checkKinds(applier.discovery, objects, { input: o.namespacedOnly ?? 'manifests', namespacedOnly: !!o.namespacedOnly });
  const done: Applied[] = [];
  for (const group of applyGroups(objects)) {
    const results = await Promise.all(
      group.map(async (obj) => {
        const info = await applier.discovery.lookup(obj.apiVersion ?? '', obj.kind ?? '');
        // No empty `labels: {}`: on a custom resource it makes every apply a change (rv bump).
        const labels = { ...obj.metadata?.labels, ...o.labels };
        const meta = { ...obj.metadata, ...(Object.keys(labels).length ? { labels } : {}) };
        if (info.namespaced && o.namespace) meta.namespace = o.namespace;
        const applied = await applier.apply({ ...obj, metadata: meta }, { dryRun: o.dryRun, force: o.force ?? true, detectUnchanged: o.detectUnchanged ?? false, signal: o.signal });
        const action = o.dryRun ? `${applied.action} (dry run)` : applied.action;
        o.log.info(`  ${action} ${applied.kind.toLowerCase()}/${applied.name}${applied.namespace && applied.namespace !== o.namespace ? ` in ${applied.namespace}` : ''}`);
        o.report.resource({ kind: applied.kind, name: applied.name, ...(applied.namespace ? { namespace: applied.namespace } : {}), action });
        return applied;
      }),
    );
    done.push(...results);
    const crds = results.filter((r) => r.kind === 'CustomResourceDefinition');
    if (crds.length && !o.dryRun) await waitEstablished(kube, crds.map((c) => c.name), o);
    for (const c of crds) {
      const spec = (c.object as { spec?: { group?: string; versions?: { name: string }[] } }).spec;
      for (const v of spec?.versions ?? []) applier.discovery.forget(`${spec?.group}/${v.name}`);
    }
  }
  return done;
}

async function waitEstablished(kube: Kube, names: readonly string[], o: ApplySetOptions): Promise<void> {
  const inf = new Informer<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
    kube,
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  );
  try {
    await waitUntil(
      [inf as Informer<KubeObject>],
      () => {
        const ready = names.every((n) =>
          [...inf.items.values()].some((c) => c.metadata?.name === n && c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')),
        );
        return ready ? true : undefined;
      },
      { signal: o.signal, timeoutMs: o.timeoutMs },
    );
  } catch (err) {
    if (err instanceof TimeoutError) throw new ActionError(`CustomResourceDefinition ${names.join(', ')} not Established after ${Math.round(o.timeoutMs / 1000)} s`);
    throw err;
  }
}
