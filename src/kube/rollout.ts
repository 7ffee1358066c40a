/**
 * `kubectl rollout undo` and `kubectl rollout restart` for Deployments, without kubectl.
 * The decisions are pure (tested without a cluster); the I/O at the bottom is thin.
 * Sources: kubectl pkg/polymorphichelpers/rollback.go and objectrestarter.go.
 */
import { ActionError } from '../errors.js';
import { FIELD_MANAGER } from '../environment/ownership.js';
import { isNotFound } from './errors.js';
import type { Kube } from './http.js';
import type { Deployment, KubeObject, LabelSelector, List, PodTemplate, ReplicaSet } from './types.js';
import { REVISION } from './workloads.js';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** Annotations a rollback keeps from the Deployment instead of copying them from the ReplicaSet. */
export const ANNOTATIONS_TO_SKIP: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

/** The revision annotation as kubectl reads it: missing is 0, unreadable is undefined (ignored). */
export function revisionOf(o: KubeObject | undefined): number | undefined {
  const v = o?.metadata?.annotations?.[REVISION];
  if (v === undefined) return 0;
  return /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

/** metav1.IsControlledBy: an ownerReference with controller: true and the owner's uid. */
export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  const uid = owner.metadata?.uid;
  return !!uid && (o.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

/** metav1.LabelSelectorAsSelector as a label selector query string. */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else throw new ActionError(`unsupported label selector operator ${e.operator}`);
  }
  return parts.join(',');
}

/** The ReplicaSets the Deployment controls (GetAllReplicaSets: selector match, then controller ref). */
export function ownedReplicaSets(d: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet[] {
  return replicaSets.filter((rs) => isControlledBy(rs, d));
}

/** The revisions in the history, ascending (what `kubectl rollout history` lists). */
export function availableRevisions(owned: readonly ReplicaSet[]): number[] {
  return [...new Set(owned.map(revisionOf).filter((r): r is number => r !== undefined))].sort((a, b) => a - b);
}

export type RollbackTarget =
  | { readonly ok: true; readonly rs: ReplicaSet; readonly revision: number }
  | { readonly ok: false; readonly reason: 'no-history' | 'not-found'; readonly available: readonly number[] };

/**
 * kubectl's deploymentRevision: with no revision the second-highest one ("previous"), else the
 * ReplicaSet carrying exactly that revision.
 */
export function chooseRollbackTarget(owned: readonly ReplicaSet[], toRevision: number | undefined): RollbackTarget {
  const available = availableRevisions(owned);
  if (toRevision !== undefined && toRevision > 0) {
    const rs = owned.find((r) => revisionOf(r) === toRevision);
    return rs ? { ok: true, rs, revision: toRevision } : { ok: false, reason: 'not-found', available };
  }
  let latest: { rs: ReplicaSet; v: number } | undefined;
  let previous: { rs: ReplicaSet; v: number } | undefined;
  for (const rs of owned) {
    const v = revisionOf(rs);
    if (v === undefined) continue;
    if (!latest || latest.v < v) {
      previous = latest;
      latest = { rs, v };
    } else if (!previous || previous.v < v) {
      previous = { rs, v };
    }
  }
  return previous ? { ok: true, rs: previous.rs, revision: previous.v } : { ok: false, reason: 'no-history', available };
}

/**
 * Drops what Go's apiequality.Semantic.DeepEqual cannot tell from absent: null, undefined, empty
 * lists and empty maps ("an empty slice *is* equal to a nil slice for our purposes; same for maps").
 */
export function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map((x) => normalize(x) ?? null);
    return items.length ? items : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

export function semanticEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/** A deep copy of the template without the pod-template-hash label. */
export function templateWithoutHash(t: PodTemplate | undefined): PodTemplate {
  const copy = structuredClone(t ?? {}) as PodTemplate;
  if (copy.metadata?.labels) {
    const { [POD_TEMPLATE_HASH]: _hash, ...labels } = copy.metadata.labels;
    copy.metadata = { ...copy.metadata, labels };
  }
  return copy;
}

/** kubectl's equalIgnoreHash. */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return semanticEqual(templateWithoutHash(a), templateWithoutHash(b));
}

/** The Deployment's annotations after a rollback: the skip-list values it has, then the ReplicaSet's others. */
export function rollbackAnnotations(deployment: Readonly<Record<string, string>> | undefined, rs: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ANNOTATIONS_TO_SKIP) {
    const v = deployment?.[k];
    if (v !== undefined) out[k] = v;
  }
  for (const [k, v] of Object.entries(rs ?? {})) if (!ANNOTATIONS_TO_SKIP.includes(k)) out[k] = v;
  return out;
}

export type JsonPatch = { op: 'replace' | 'add'; path: string; value: unknown }[];

/** The one JSON patch kubectl sends. `add` only where the Deployment has no annotations map at all. */
export function rollbackPatch(template: PodTemplate, annotations: Record<string, string>, hasAnnotations = true): JsonPatch {
  return [
    { op: 'replace', path: '/spec/template', value: template },
    { op: hasAnnotations ? 'replace' : 'add', path: '/metadata/annotations', value: annotations },
  ];
}

export type RollbackPlan =
  | { readonly kind: 'refused'; readonly message: string; readonly available: readonly number[] }
  | { readonly kind: 'skip'; readonly revision: number; readonly message: string }
  | { readonly kind: 'patch'; readonly revision: number; readonly patch: JsonPatch; readonly image: string };

/** Pure: what `kubectl rollout undo deployment/<name> [--to-revision=N]` would do, in its order of checks. */
export function planRollback(d: Deployment, owned: readonly ReplicaSet[], toRevision: number | undefined): RollbackPlan {
  const name = d.metadata?.name ?? '';
  const target = chooseRollbackTarget(owned, toRevision);
  if (!target.ok) {
    const list = target.available.length ? target.available.join(', ') : 'none';
    const message =
      target.reason === 'not-found'
        ? `unable to find specified revision ${toRevision} in the history of deployment/${name}; available revisions: ${list} (current: ${revisionOf(d) ?? '?'})`
        : `no rollout history found for deployment "${name}" (revisions: ${list}): there is no previous revision to roll back to`;
    return { kind: 'refused', message, available: target.available };
  }
  if (d.spec?.paused) {
    return {
      kind: 'refused',
      message: `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
      available: availableRevisions(owned),
    };
  }
  if (equalIgnoreHash(target.rs.spec?.template, d.spec?.template)) {
    return { kind: 'skip', revision: target.revision, message: `skipped rollback (current template already matches revision ${target.revision})` };
  }
  const template = templateWithoutHash(target.rs.spec?.template);
  const annotations = rollbackAnnotations(d.metadata?.annotations, target.rs.metadata?.annotations);
  const image = (template.spec?.containers ?? []).map((c) => c.image ?? '').join(', ');
  return { kind: 'patch', revision: target.revision, patch: rollbackPatch(template, annotations, d.metadata?.annotations !== undefined), image };
}

/** Go's time.RFC3339 in UTC: `2026-01-02T15:04:05Z`. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The strategic merge patch of `kubectl rollout restart`. */
export function restartPatch(nowMs: number): { spec: { template: { metadata: { annotations: Record<string, string> } } } } {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339(nowMs) } } } } };
}

// ---- thin I/O -------------------------------------------------------------------------------

const deploymentPath = (ns: string, name: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}`;

export interface RolloutIo {
  readonly kube: Kube;
  readonly signal: AbortSignal;
}

/** GET the Deployment; a missing one is an ActionError naming it. */
export async function readDeployment(io: RolloutIo, ns: string, name: string): Promise<Deployment> {
  try {
    return await io.kube.request<Deployment>({ method: 'GET', path: deploymentPath(ns, name), signal: io.signal });
  } catch (err) {
    if (isNotFound(err)) throw new ActionError(`deployment/${name} not found in namespace ${ns}`);
    throw err;
  }
}

/** The ReplicaSets the Deployment controls: LIST by its selector (every page), then by controller reference. */
export async function listOwnedReplicaSets(io: RolloutIo, d: Deployment): Promise<ReplicaSet[]> {
  const ns = d.metadata?.namespace ?? '';
  const all: ReplicaSet[] = [];
  let cont: string | undefined;
  do {
    const page = await io.kube.request<List<ReplicaSet>>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`,
      query: { labelSelector: selectorString(d.spec?.selector), limit: 500, ...(cont ? { continue: cont } : {}) },
      signal: io.signal,
    });
    all.push(...page.items);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return ownedReplicaSets(d, all);
}

export interface RollbackOutcome {
  readonly plan: Exclude<RollbackPlan, { kind: 'refused' }>;
  /** The revision the Deployment was at before. */
  readonly fromRevision: number | undefined;
  readonly deployment: Deployment;
}

/** Reads, decides and sends the one JSON patch; refusals are ActionErrors raised before any change. */
export async function rollbackDeployment(io: RolloutIo, ns: string, name: string, o: { toRevision?: number | undefined; dryRun?: boolean }): Promise<RollbackOutcome> {
  const d = await readDeployment(io, ns, name);
  const owned = await listOwnedReplicaSets(io, d);
  const plan = planRollback(d, owned, o.toRevision);
  if (plan.kind === 'refused') throw new ActionError(plan.message);
  if (plan.kind === 'skip') return { plan, fromRevision: revisionOf(d), deployment: d };
  const patched = await io.kube.request<Deployment>({
    method: 'PATCH',
    path: deploymentPath(ns, name),
    query: { fieldManager: FIELD_MANAGER, ...(o.dryRun ? { dryRun: 'All' } : {}) },
    body: plan.patch,
    contentType: 'application/json-patch+json',
    signal: io.signal,
  });
  return { plan, fromRevision: revisionOf(d), deployment: patched };
}

/** `kubectl rollout restart deployment/<name>`: refuses a paused Deployment, else one strategic merge patch. */
export async function restartDeployment(io: RolloutIo, ns: string, name: string, o: { nowMs: number; dryRun?: boolean }): Promise<{ before: Deployment; after: Deployment; restartedAt: string }> {
  const before = await readDeployment(io, ns, name);
  if (before.spec?.paused) throw new ActionError(`can't restart paused deployment/${name} (run kubectl rollout resume deployment/${name} first)`);
  const patch = restartPatch(o.nowMs);
  const after = await io.kube.request<Deployment>({
    method: 'PATCH',
    path: deploymentPath(ns, name),
    query: { fieldManager: FIELD_MANAGER, ...(o.dryRun ? { dryRun: 'All' } : {}) },
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
    signal: io.signal,
  });
  return { before, after, restartedAt: patch.spec.template.metadata.annotations[RESTARTED_AT] ?? '' };
}
