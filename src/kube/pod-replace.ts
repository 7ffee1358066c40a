/** Delete a pod and wait until its controller has a Ready replacement (`restart` with `pod`). */
import { ActionError } from '../errors.js';
import type { Log } from '../log.js';
import { eventLines, podProblem, type Problem } from './diagnosis.js';
import { isNotFound } from './errors.js';
import type { Kube } from './http.js';
import { Informer } from './informer.js';
import type { KubeEvent, KubeObject, List, OwnerReference, Pod } from './types.js';
import { condition } from './types.js';
import { TimeoutError, waitUntil } from './wait.js';

/** The controller reference of a pod (ReplicaSet, StatefulSet, DaemonSet, Job, ...), if any. */
export function podController(pod: Pod): OwnerReference | undefined {
  return (pod.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

export type ReplacementState =
  | { readonly state: 'ready'; readonly pod: string }
  | { readonly state: 'waiting'; readonly message: string }
  | { readonly state: 'failed'; readonly problem: Problem };

const isReady = (p: Pod): boolean => condition(p, 'Ready')?.status === 'True';

/**
 * Pure: whether the controller has a replacement of the deleted pod that is Ready (a Job's pod
 * may also have Succeeded). A replacement is a pod the same controller created after the
 * deletion: its uid was not among the controller's pods before (a StatefulSet reuses the name,
 * not the uid), and it is not being deleted. Fails at the first doomed one.
 */
export function assessReplacement(pods: readonly Pod[], controllerUid: string, before: ReadonlySet<string>, controllerKind: string): ReplacementState {
  const candidates = pods.filter(
    (p) => !before.has(p.metadata?.uid ?? '') && !p.metadata?.deletionTimestamp && (p.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === controllerUid),
  );
  const ready = candidates.find((p) => isReady(p) || (controllerKind === 'Job' && p.status?.phase === 'Succeeded'));
  if (ready) return { state: 'ready', pod: ready.metadata?.name ?? '' };
  for (const p of candidates) {
    const problem = podProblem(p);
    if (problem) return { state: 'failed', problem };
  }
  if (!candidates.length) return { state: 'waiting', message: 'no replacement pod yet' };
  return { state: 'waiting', message: candidates.map((p) => `pod/${p.metadata?.name ?? ''} ${p.status?.phase ?? 'Pending'}, not ready`).join('; ') };
}

export interface ReplaceOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly log: Log;
  readonly dryRun: boolean;
}

export interface ReplaceOutcome {
  readonly controller: OwnerReference;
  /** The Ready replacement; undefined for a dry run. */
  readonly replacement: string | undefined;
}

const podsPath = (ns: string): string => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;

/** Refuses a bare pod before anything changes; deletes the pod; watches until a replacement is Ready. */
export async function replacePod(kube: Kube, ns: string, name: string, o: ReplaceOptions): Promise<ReplaceOutcome> {
  let pod: Pod;
  try {
    pod = await kube.request<Pod>({ method: 'GET', path: `${podsPath(ns)}/${encodeURIComponent(name)}`, signal: o.signal });
  } catch (err) {
    if (isNotFound(err)) throw new ActionError(`pod/${name} not found in namespace ${ns}`);
    throw err;
  }
  const controller = podController(pod);
  if (!controller) {
    throw new ActionError(
      `pod/${name} in ${ns} has no controller (no ownerReference with controller: true): it is a bare pod, and deleting it would not bring it back; refused, nothing was deleted (restart its Deployment, or recreate the pod yourself)`,
    );
  }
  const owner = `${controller.kind.toLowerCase()}/${controller.name}`;
  // The controller's pods before the deletion: none of them counts as the replacement.
  const existing = await kube.request<List<Pod>>({ method: 'GET', path: podsPath(ns), signal: o.signal });
  const before = new Set([pod.metadata?.uid ?? '', ...existing.items.filter((p) => podController(p)?.uid === controller.uid).map((p) => p.metadata?.uid ?? '')]);
  await kube.request<unknown>({
    method: 'DELETE',
    path: `${podsPath(ns)}/${encodeURIComponent(name)}`,
    // Only this pod, as it is now: a pod of the same name created meanwhile is not touched.
    // With a DeleteOptions body the server ignores query parameters: dryRun must be in the body.
    body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: pod.metadata?.uid }, ...(o.dryRun ? { dryRun: ['All'] } : {}) },
    signal: o.signal,
  });
  o.log.info(`  deleted pod/${name} (controlled by ${owner})${o.dryRun ? ' (dry run)' : ''}`);
  if (o.dryRun) return { controller, replacement: undefined };

  const pods = new Informer<Pod>(kube, podsPath(ns));
  const seen: { last: ReplacementState } = { last: { state: 'waiting', message: 'not started' } };
  let printed = '';
  try {
    const done = await waitUntil(
      [pods as Informer<KubeObject>],
      () => {
        const last = assessReplacement([...pods.items.values()], controller.uid, before, controller.kind);
        seen.last = last;
        if (last.state !== 'waiting') return last;
        if (last.message !== printed) o.log.info(`  waiting: ${last.message}`);
        printed = last.message;
        return undefined;
      },
      { signal: o.signal, timeoutMs: o.timeoutMs },
    );
    if (done.state === 'failed') {
      throw new ActionError(`the replacement of pod/${name} from ${owner} failed: ${done.problem.reason}: ${done.problem.message}`, await podEvents(kube, ns, done.problem.pod, o.signal));
    }
    const replacement = done.state === 'ready' ? done.pod : '';
    o.log.info(`  pod/${replacement} from ${owner} is Ready`);
    return { controller, replacement };
  } catch (err) {
    if (err instanceof TimeoutError) {
      throw new ActionError(
        `${owner} has no Ready replacement of pod/${name} after ${Math.round(o.timeoutMs / 1000)} s (timeout): ${seen.last.state === 'waiting' ? seen.last.message : seen.last.state}`,
        await podEvents(kube, ns, undefined, o.signal, controller.name),
      );
    }
    throw err;
  }
}

/** Best effort: warning events of a pod, or of the controller's pods (by name prefix). */
async function podEvents(kube: Kube, ns: string, pod: string | undefined, signal: AbortSignal, prefix?: string): Promise<string[]> {
  try {
    const all = await kube.request<List<KubeEvent>>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, signal });
    const related = all.items.filter((e) => {
      const n = e.involvedObject?.name ?? '';
      return pod ? n === pod : !!prefix && n.startsWith(prefix);
    });
    return related.length ? ['Events:', ...eventLines(related)] : [];
  } catch {
    return [];
  }
}
