import { creationProblem, jobOutcome, podProblem, type Problem } from './diagnosis.js';
import type { ContainerStatus, Job, KubeEvent, KubeObject, Pod } from './types.js';

/** Pure decisions about a running Job: its outcome, the pod and container that tell it, the message. */

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

export type Decision = { readonly kind: 'outcome'; readonly succeeded: boolean; readonly reason: string; readonly message: string } | { readonly kind: 'problem'; readonly problem: Problem };

/** Pure: what the watched state says, or undefined to keep waiting. */
export function decideJob(job: Job | undefined, uid: string, pods: readonly Pod[], jobEvents: readonly KubeEvent[]): Decision | undefined {
  const name = job?.metadata?.name ?? '';
  if (!job || job.metadata?.uid !== uid) {
    return { kind: 'problem', problem: { reason: 'JobDeleted', message: 'the Job was deleted while it ran' } };
  }
  const out = jobOutcome(job);
  if (out.done) return { kind: 'outcome', succeeded: out.succeeded, reason: out.reason, message: out.message };
  for (const pod of pods) {
    const p = podProblem(pod);
    if (p) return { kind: 'problem', problem: p };
  }
  // FailedCreate (quota, LimitRange, admission) only counts while the Job has no pod at all:
  // with pods running, a rejected extra pod may still be retried successfully.
  if (!pods.length && !(job.status?.active ?? 0)) {
    const p = creationProblem(
      jobEvents.filter((e) => e.involvedObject?.uid === uid),
      'Job',
      name,
    );
    if (p) return { kind: 'problem', problem: p };
  }
  return undefined;
}

export const byCreation = (a: KubeObject, b: KubeObject): number =>
  (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/** Pure: the container whose exit decides (first non-zero exit, else the first terminated one). */
export function decidingContainer(pod: Pod | undefined): ContainerStatus | undefined {
  const all = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  const done = all.filter((c) => c.state?.terminated?.exitCode !== undefined);
  return done.find((c) => c.state?.terminated?.exitCode !== 0) ?? (pod?.status?.containerStatuses ?? []).find((c) => c.state?.terminated) ?? done[0];
}

/** Pure: the pod that tells the story of the outcome. */
export function decidingPod(pods: readonly Pod[], succeeded: boolean | undefined, problemPod?: string): Pod | undefined {
  const sorted = [...pods].sort(byCreation);
  if (problemPod) {
    const p = sorted.find((x) => x.metadata?.name === problemPod);
    if (p) return p;
  }
  const phase = succeeded === undefined ? undefined : succeeded ? 'Succeeded' : 'Failed';
  return sorted.filter((p) => phase && p.status?.phase === phase).at(-1) ?? sorted.at(-1);
}

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

function seconds(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 1000).toFixed(1)} s`;
}

/** Pure: the one-line message of an outcome. */
export function outcomeMessage(jobName: string, d: Decision | { kind: 'timeout'; ms: number }, cs: ContainerStatus | undefined, durationMs: number): string {
  const t = cs?.state?.terminated;
  const exit = t?.exitCode !== undefined ? `container ${cs?.name} exited with code ${t.exitCode}${t.reason && t.reason !== 'Error' && t.reason !== 'Completed' ? ` (${t.reason})` : ''}${t.message ? `: ${oneLine(t.message).slice(0, 200)}` : ''}` : '';
  if (d.kind === 'timeout') return `job ${jobName} did not finish within ${seconds(d.ms)} (job-timeout); it was left as it is`;
  if (d.kind === 'problem') return `job ${jobName} failed: ${d.problem.reason}: ${d.problem.message}`;
  if (d.succeeded) return `job ${jobName} passed in ${seconds(durationMs)}${exit && t?.exitCode !== 0 ? ` (${exit})` : ''}`;
  const why = `${d.reason}${d.message ? `: ${d.message}` : ''}`;
  return `job ${jobName} failed: ${exit ? `${exit} (${why})` : why}`;
}

/** The pods' label selector: the controller-uid label the API server adds, else the Job's own matchLabels. */
export function podSelector(job: Job): string {
  const sel = (job.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const uid = sel[CONTROLLER_UID] ?? job.metadata?.uid;
  if (sel[CONTROLLER_UID] || !Object.keys(sel).length) return `${CONTROLLER_UID}=${uid ?? ''}`;
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
