import { ActionError } from '../errors.js';
import type { Log } from '../log.js';
import { creationProblem, deploymentProblem, eventLines, podProblem, type Problem } from './diagnosis.js';
import type { Kube } from './http.js';
import { Informer } from './informer.js';
import { logTail } from './job-evidence.js';
import type { Deployment, KubeEvent, KubeObject, Pod, ReplicaSet, StatefulSet } from './types.js';
import { TimeoutError, waitUntil } from './wait.js';

export interface WorkloadRef {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
}

export interface Snapshot {
  readonly deployments: ReadonlyMap<string, Deployment>;
  readonly statefulSets: ReadonlyMap<string, StatefulSet>;
  readonly replicaSets: readonly ReplicaSet[];
  readonly pods: readonly Pod[];
  readonly events: readonly KubeEvent[];
}

export type Assessment =
  | { readonly state: 'ready' }
  | { readonly state: 'waiting'; readonly messages: readonly string[] }
  | { readonly state: 'failed'; readonly target: WorkloadRef; readonly problem: Problem };

export const REVISION = 'deployment.kubernetes.io/revision';

export const describeRef = (r: WorkloadRef): string => `${r.kind.toLowerCase()}/${r.name}`;

const ownedBy = (o: KubeObject, uid: string | undefined): boolean =>
  !!uid && (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid && r.controller);

/** The ReplicaSet of a Deployment's current revision, and its pods. */
export function currentPods(d: Deployment, s: Snapshot): Pod[] {
  const rev = d.metadata?.annotations?.[REVISION];
  const rs = s.replicaSets.find((r) => ownedBy(r, d.metadata?.uid) && r.metadata?.annotations?.[REVISION] === rev);
  return rs ? s.pods.filter((p) => ownedBy(p, rs.metadata?.uid)) : [];
}

function statefulSetPods(st: StatefulSet, s: Snapshot): Pod[] {
  const rev = st.status?.updateRevision;
  return s.pods.filter((p) => ownedBy(p, st.metadata?.uid) && (!rev || p.metadata?.labels?.['controller-revision-hash'] === rev));
}

/** Pure: kubectl's rollout-status rules, plus fail-fast on doomed pods and rejected pod creation. */
export function assessDeployment(d: Deployment | undefined, name: string, s: Snapshot): Problem | string | true {
  if (!d) return `deployment/${name}: not found yet`;
  // Until the controller has seen the new spec, the revision annotation, the conditions and so
  // the "current" pods are those of the previous rollout (e.g. the ImagePullBackOff pods a
  // rollback is about to remove): judge nothing yet.
  if ((d.metadata?.generation ?? 0) > (d.status?.observedGeneration ?? 0)) return `deployment/${name}: waiting for the new spec to be observed`;
  const p = deploymentProblem(d) ?? currentPods(d, s).map(podProblem).find(Boolean);
  if (p) return p;
  const want = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const updated = st.updatedReplicas ?? 0;
  const total = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < want) return `deployment/${name}: ${updated} of ${want} new replicas updated`;
  if (total > updated) return `deployment/${name}: ${total - updated} old replica(s) pending termination`;
  if (available < updated) return `deployment/${name}: ${available} of ${updated} updated replicas available`;
  return true;
}

export function assessStatefulSet(st: StatefulSet | undefined, name: string, s: Snapshot): Problem | string | true {
  if (!st) return `statefulset/${name}: not found yet`;
  // As for Deployments: before the new spec is observed, updateRevision names the old pods.
  if ((st.metadata?.generation ?? 0) > (st.status?.observedGeneration ?? 0)) return `statefulset/${name}: waiting for the new spec to be observed`;
  const p = creationProblem(s.events.filter((e) => e.involvedObject?.uid === st.metadata?.uid || !e.involvedObject?.uid), 'StatefulSet', name) ?? statefulSetPods(st, s).map(podProblem).find(Boolean);
  if (p) return p;
  const want = st.spec?.replicas ?? 1;
  const ready = st.status?.readyReplicas ?? 0;
  if (ready < want) return `statefulset/${name}: ${ready} of ${want} replicas ready`;
  const { updateRevision, currentRevision, updatedReplicas } = st.status ?? {};
  if (updateRevision && currentRevision && updateRevision !== currentRevision) {
    return `statefulset/${name}: ${updatedReplicas ?? 0} of ${want} replicas on the new revision`;
  }
  return true;
}

/** Pure: ready when every target is; failed at the first doomed one. */
export function assessWorkloads(s: Snapshot, targets: readonly WorkloadRef[]): Assessment {
  const messages: string[] = [];
  for (const t of targets) {
    const r = t.kind === 'Deployment' ? assessDeployment(s.deployments.get(t.name), t.name, s) : assessStatefulSet(s.statefulSets.get(t.name), t.name, s);
    if (r === true) continue;
    if (typeof r === 'string') messages.push(r);
    else return { state: 'failed', target: t, problem: r };
  }
  return messages.length ? { state: 'waiting', messages } : { state: 'ready' };
}

function byName<T extends KubeObject>(inf: Informer<T>): Map<string, T> {
  return new Map([...inf.items.values()].map((o) => [o.metadata?.name ?? '', o]));
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly log: Log;
}

/** Watches the namespace until every target is ready; fails at once on a doomed state, with evidence. */
export async function waitForWorkloads(kube: Kube, namespace: string, targets: readonly WorkloadRef[], o: WaitOptions): Promise<void> {
  if (!targets.length) return;
  const ns = encodeURIComponent(namespace);
  const deployments = new Informer<Deployment>(kube, `/apis/apps/v1/namespaces/${ns}/deployments`);
  const statefulSets = new Informer<StatefulSet>(kube, `/apis/apps/v1/namespaces/${ns}/statefulsets`);
  const replicaSets = new Informer<ReplicaSet>(kube, `/apis/apps/v1/namespaces/${ns}/replicasets`);
  const pods = new Informer<Pod>(kube, `/api/v1/namespaces/${ns}/pods`);
  const events = new Informer<KubeEvent>(kube, `/api/v1/namespaces/${ns}/events`, { fieldSelector: 'type=Warning' });
  const needDeploy = targets.some((t) => t.kind === 'Deployment');
  const needSts = targets.some((t) => t.kind === 'StatefulSet');
  const informers = [
    ...(needDeploy ? [deployments as Informer<KubeObject>, replicaSets as Informer<KubeObject>] : []),
    ...(needSts ? [statefulSets as Informer<KubeObject>, events as Informer<KubeObject>] : []),
    pods as Informer<KubeObject>,
  ];
  const snapshot = (): Snapshot => ({
    deployments: byName(deployments),
    statefulSets: byName(statefulSets),
    replicaSets: [...replicaSets.items.values()],
    pods: [...pods.items.values()],
    events: [...events.items.values()],
  });
  let last: Assessment = { state: 'waiting', messages: ['not started'] };
  let lastPrinted = '';
  try {
    const outcome = await waitUntil(
      informers,
      () => {
        last = assessWorkloads(snapshot(), targets);
        if (last.state === 'waiting') {
          const line = last.messages.join('; ');
          if (line !== lastPrinted) o.log.info(`  waiting: ${line}`);
          lastPrinted = line;
          return undefined;
        }
        return last;
      },
      { signal: o.signal, timeoutMs: o.timeoutMs },
    );
    if (outcome.state === 'ready') {
      o.log.info(`  ready: ${targets.map(describeRef).join(', ')}`);
      return;
    }
    if (outcome.state === 'failed') {
      throw new ActionError(`${describeRef(outcome.target)} in ${namespace} failed: ${outcome.problem.reason}: ${outcome.problem.message}`, await evidence(kube, namespace, outcome.target, outcome.problem, snapshot()));
    }
  } catch (err) {
    if (err instanceof TimeoutError) {
      const waiting = last.state === 'waiting' ? last.messages.join('; ') : 'not ready';
      const first = targets.find((t) => waiting.includes(describeRef(t))) ?? targets[0];
      throw new ActionError(
        `timed out after ${Math.round(o.timeoutMs / 1000)} s (timeout) waiting for ${waiting}`,
        first ? await evidence(kube, namespace, first, undefined, snapshot()) : [],
      );
    }
    throw err;
  }
}

/** Thin I/O: the events of the object and its pods, and the last log lines of the failing pod. */
export async function evidence(kube: Kube, namespace: string, target: WorkloadRef, problem: Problem | undefined, s: Snapshot): Promise<string[]> {
  const lines: string[] = [];
  try {
    const ns = encodeURIComponent(namespace);
    const all = await kube.request<{ items: KubeEvent[] }>({ method: 'GET', path: `/api/v1/namespaces/${ns}/events` });
    const podNames = new Set(s.pods.map((p) => p.metadata?.name ?? ''));
    const related = all.items.filter((e) => {
      const io = e.involvedObject;
      if (!io?.name) return false;
      if (io.name === target.name && io.kind === target.kind) return true;
      if (io.kind === 'ReplicaSet' && io.name.startsWith(`${target.name}-`)) return true;
      return io.kind === 'Pod' && podNames.has(io.name) && io.name.startsWith(`${target.name}-`);
    });
    if (related.length) lines.push(`Events of ${describeRef(target)}:`, ...eventLines(related));
    if (problem?.pod && problem.container) {
      const tail = await logTail(kube, namespace, problem.pod, problem.container, problem.previous ?? false, AbortSignal.timeout(10_000)).catch(() => []);
      if (tail.length) lines.push(`Last log lines of pod/${problem.pod} (${problem.container}${problem.previous ? ', previous run' : ''}):`, ...tail.map((l) => `  ${l}`));
    }
  } catch {
    // Evidence is best effort: the one-line cause stands on its own.
  }
  return lines;
}
