import { condition, type ContainerStatus, type Deployment, type Job, type KubeEvent, type Pod, type StatefulSet } from './types.js';

/** A doomed state: waiting longer cannot help. */
export interface Problem {
  /** Short cause, e.g. ImagePullBackOff, CrashLoopBackOff, FailedCreate, Unschedulable. */
  readonly reason: string;
  /** One line a user can act on. */
  readonly message: string;
  /** The pod to take log lines from, if any. */
  readonly pod?: string;
  readonly container?: string;
  /** Read the previous container's log (after a crash). */
  readonly previous?: boolean;
}

/** Waiting reasons that never fix themselves. */
const FATAL_WAITING = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'CrashLoopBackOff',
  'RunContainerError',
]);

/** ErrImagePull is retried by the kubelet, but these messages will not change on retry. */
const FATAL_PULL_MESSAGE = /not found|manifest unknown|unauthorized|denied|invalid reference|no such host/i;

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

function containerProblem(pod: string, cs: ContainerStatus): Problem | undefined {
  const w = cs.state?.waiting;
  if (!w?.reason) return undefined;
  const fatal = FATAL_WAITING.has(w.reason) || (w.reason === 'ErrImagePull' && FATAL_PULL_MESSAGE.test(w.message ?? ''));
  if (!fatal) return undefined;
  if (w.reason === 'CrashLoopBackOff') {
    const last = cs.lastState?.terminated;
    const exit = last?.exitCode !== undefined ? ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''})` : '';
    return {
      reason: w.reason,
      message: `container ${cs.name} keeps crashing${exit}, restarted ${cs.restartCount ?? 0} time(s)`,
      pod,
      container: cs.name,
      previous: true,
    };
  }
  if (w.reason === 'ImagePullBackOff' || w.reason === 'ErrImagePull' || w.reason === 'InvalidImageName' || w.reason === 'ErrImageNeverPull') {
    const detail = oneLine(w.message);
    return { reason: w.reason, message: `cannot pull image ${cs.image ?? ''} for container ${cs.name}${detail ? `: ${detail}` : ''}`, pod, container: cs.name };
  }
  return { reason: w.reason, message: `container ${cs.name} cannot start: ${oneLine(w.message) || w.reason}`, pod, container: cs.name };
}

/** Pure: why a pod can never become ready, or undefined while it still may. */
export function podProblem(pod: Pod): Problem | undefined {
  const name = pod.metadata?.name ?? '';
  if (pod.metadata?.deletionTimestamp) return undefined;
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const p = containerProblem(name, cs);
    if (p) return p;
  }
  const sched = condition(pod, 'PodScheduled');
  if (sched?.status === 'False' && sched.reason === 'Unschedulable') {
    return { reason: 'Unschedulable', message: `pod cannot be scheduled: ${oneLine(sched.message)}`, pod: name };
  }
  return undefined;
}

/** Pure: a Deployment that cannot progress (deadline exceeded, pods rejected by quota or admission). */
export function deploymentProblem(d: Deployment): Problem | undefined {
  const progressing = condition(d, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { reason: 'ProgressDeadlineExceeded', message: `rollout exceeded its progress deadline: ${oneLine(progressing.message)}` };
  }
  const rf = condition(d, 'ReplicaFailure');
  if (rf?.status === 'True') {
    return { reason: rf.reason ?? 'ReplicaFailure', message: `pods cannot be created: ${oneLine(rf.message)}` };
  }
  return undefined;
}

/** Pure: warning events that mean pods of an object cannot be created (quota, LimitRange, admission). */
export function creationProblem(events: readonly KubeEvent[], kind: string, name: string): Problem | undefined {
  const e = events
    .filter((x) => x.involvedObject?.kind === kind && x.involvedObject?.name === name && x.reason === 'FailedCreate')
    .sort((a, b) => eventTime(b) - eventTime(a))[0];
  if (!e) return undefined;
  return { reason: 'FailedCreate', message: `pods cannot be created: ${oneLine(e.message)}` };
}

export function eventTime(e: KubeEvent): number {
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '') || 0;
}

/** Pure: a StatefulSet has no failure condition; its FailedCreate events say it. */
export function statefulSetProblem(_s: StatefulSet, events: readonly KubeEvent[], name: string): Problem | undefined {
  return creationProblem(events, 'StatefulSet', name);
}

export type JobOutcome = { readonly done: false } | { readonly done: true; readonly succeeded: boolean; readonly reason: string; readonly message: string };

/** Pure: a Job's outcome from its conditions (terminal, or the early *Target/*Met ones). */
export function jobOutcome(job: Job): JobOutcome {
  const isTrue = (t: string) => {
    const c = condition(job, t);
    return c?.status === 'True' ? c : undefined;
  };
  const failed = isTrue('Failed') ?? isTrue('FailureTarget');
  if (failed) return { done: true, succeeded: false, reason: failed.reason ?? 'Failed', message: oneLine(failed.message) };
  const ok = isTrue('Complete') ?? isTrue('SuccessCriteriaMet');
  if (ok) return { done: true, succeeded: true, reason: ok.reason ?? 'Complete', message: oneLine(ok.message) };
  return { done: false };
}

/** Pure: events worth showing under a failure, newest last, as log lines. */
export function eventLines(events: readonly KubeEvent[], max = 10): string[] {
  return [...events]
    .sort((a, b) => eventTime(a) - eventTime(b))
    .slice(-max)
    .map((e) => {
      const obj = `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`;
      const count = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
      return `  ${e.type ?? 'Normal'} ${e.reason ?? ''} ${obj}: ${oneLine(e.message)}${count}`;
    });
}
