/** Pure parts of `command: status`: readiness lines, workload and quota rows, expiry. */
import { ANNOTATION, LABEL } from '../environment/ownership.js';
import { eventLines, jobOutcome, podProblem, type Problem } from '../kube/diagnosis.js';
import type { Condition, Deployment, Job, KubeEvent, Namespace, Pod, ResourceQuota, StatefulSet } from '../kube/types.js';
import { condition } from '../kube/types.js';
import { assessDeployment, assessStatefulSet, type Snapshot } from '../kube/workloads.js';
import { age } from './ops-common.js';

export type WorkloadState = 'ready' | 'progressing' | 'failed' | 'succeeded' | 'running' | 'suspended' | 'pending';

export interface WorkloadRow {
  readonly kind: string;
  readonly name: string;
  /** `2/3` (ready/desired) for Deployments and StatefulSets; succeeded/completions for Jobs. */
  readonly ready: string;
  readonly state: WorkloadState;
  /** Why not ready, one line; empty when ready. */
  readonly message: string;
}

export interface QuotaRow {
  readonly quota: string;
  readonly resource: string;
  readonly used: string;
  readonly hard: string;
}

export interface ConditionRow {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

const problemText = (p: Problem): string => `${p.reason}: ${p.message}`;

/** Pure: kubectl-rollout-status rules (plus the fail-fast diagnosis) as a state and a message. */
export function assessmentState(r: Problem | string | true): { state: WorkloadState; message: string } {
  if (r === true) return { state: 'ready', message: '' };
  if (typeof r === 'string') return { state: 'progressing', message: r.replace(/^[a-z]+\/[^:]+: /, '') };
  return { state: 'failed', message: problemText(r) };
}

export function deploymentRow(d: Deployment, s: Snapshot): WorkloadRow {
  const name = d.metadata?.name ?? '';
  const { state, message } = assessmentState(assessDeployment(d, name, s));
  return { kind: 'Deployment', name, ready: `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, state, message };
}

export function statefulSetRow(st: StatefulSet, s: Snapshot): WorkloadRow {
  const name = st.metadata?.name ?? '';
  const { state, message } = assessmentState(assessStatefulSet(st, name, s));
  return { kind: 'StatefulSet', name, ready: `${st.status?.readyReplicas ?? 0}/${st.spec?.replicas ?? 1}`, state, message };
}

export function jobRow(job: Job, pods: readonly Pod[]): WorkloadRow {
  const name = job.metadata?.name ?? '';
  const completions = (job.spec as { completions?: number } | undefined)?.completions ?? 1;
  const ready = `${job.status?.succeeded ?? 0}/${completions}`;
  const out = jobOutcome(job);
  if (out.done) return { kind: 'Job', name, ready, state: out.succeeded ? 'succeeded' : 'failed', message: out.succeeded ? '' : `${out.reason}${out.message ? `: ${out.message}` : ''}` };
  if (condition(job, 'Suspended')?.status === 'True') return { kind: 'Job', name, ready, state: 'suspended', message: 'suspended' };
  const problem = pods.map(podProblem).find(Boolean);
  if (problem) return { kind: 'Job', name, ready, state: 'failed', message: problemText(problem) };
  return (job.status?.active ?? 0) > 0
    ? { kind: 'Job', name, ready, state: 'running', message: `${job.status?.active} pod(s) active` }
    : { kind: 'Job', name, ready, state: 'pending', message: 'no pod running yet' };
}

export function podRow(p: Pod): WorkloadRow {
  const name = p.metadata?.name ?? '';
  const cs = p.status?.containerStatuses ?? [];
  const ready = `${cs.filter((c) => c.ready).length}/${p.spec?.containers.length ?? cs.length}`;
  const phase = p.status?.phase ?? 'Pending';
  const problem = podProblem(p);
  if (problem) return { kind: 'Pod', name, ready, state: 'failed', message: problemText(problem) };
  if (phase === 'Succeeded') return { kind: 'Pod', name, ready, state: 'succeeded', message: '' };
  if (phase === 'Failed') return { kind: 'Pod', name, ready, state: 'failed', message: p.status?.reason ?? p.status?.message ?? 'Failed' };
  if (condition(p, 'Ready')?.status === 'True') return { kind: 'Pod', name, ready, state: 'ready', message: '' };
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  return { kind: 'Pod', name, ready, state: phase === 'Running' ? 'running' : 'pending', message: `${phase}, not ready${restarts ? `, ${restarts} restart(s)` : ''}` };
}

/** Pure: one row per quota resource, `used` of `hard`, in the quota's own order. */
export function quotaRows(quotas: readonly ResourceQuota[]): QuotaRow[] {
  return quotas.flatMap((q) => {
    const hard = q.status?.hard ?? q.spec?.hard ?? {};
    return Object.keys(hard)
      .sort()
      .map((r) => ({ quota: q.metadata?.name ?? '', resource: r, used: q.status?.used?.[r] ?? '0', hard: hard[r] ?? '' }));
  });
}

export function conditionRows(conditions: readonly Condition[] | undefined): ConditionRow[] {
  return (conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? '', message: (c.message ?? '').replace(/\s+/g, ' ').trim(), lastTransitionTime: c.lastTransitionTime ?? '' }));
}

export interface Expiry {
  readonly expiresAt: string | null;
  /** `in 42m`, `expired 3m ago`, or `never` (no annotation: not an ephemeral environment). */
  readonly text: string;
  readonly expired: boolean;
}

export function expiryOf(ns: Namespace | undefined, nowMs: number): Expiry {
  const at = ns?.metadata?.annotations?.[ANNOTATION.expiresAt];
  const t = Date.parse(at ?? '');
  if (!at || !Number.isFinite(t)) return { expiresAt: null, text: 'never (no expires-at annotation)', expired: false };
  const s = Math.round((t - nowMs) / 1000);
  return { expiresAt: at, text: s > 0 ? `in ${age(s)}` : `expired ${age(-s)} ago`, expired: s <= 0 };
}

export function environmentFacts(ns: Namespace | undefined): { repository: string | null; pr: string | null; phase: string } {
  const m = ns?.metadata;
  return {
    repository: m?.annotations?.[ANNOTATION.repository] ?? m?.labels?.[LABEL.repo] ?? null,
    pr: m?.labels?.[LABEL.pr] ?? null,
    phase: m?.deletionTimestamp ? 'Terminating' : (ns?.status?.phase ?? 'Unknown'),
  };
}

/** Pure: the events about any of these objects, oldest first, at most `max`, as log lines. */
export function relatedEventLines(events: readonly KubeEvent[], uids: ReadonlySet<string>, names: ReadonlySet<string>, max = 10): string[] {
  const related = events.filter((e) => uids.has(e.involvedObject?.uid ?? '') || (!e.involvedObject?.uid && names.has(`${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`)));
  return eventLines(related, max).map((l) => l.trim());
}

/** One line for the log: `deployment/web  2/3  progressing  1 of 3 updated replicas available`. */
export function rowLine(r: WorkloadRow): string {
  return `${`${r.kind.toLowerCase()}/${r.name}`.padEnd(30)} ${r.ready.padEnd(6)} ${r.state}${r.message ? `  ${r.message}` : ''}`;
}
