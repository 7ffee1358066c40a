import type { Clock } from '../clock.js';
import { ActionError } from '../errors.js';
import { FIELD_MANAGER } from '../environment/ownership.js';
import { openSafeSection } from '../github/safe-output.js';
import type { Log } from '../log.js';
import { collectEvidence, logTail } from './job-evidence.js';
import { byCreation, decideJob, decidingContainer, decidingPod, outcomeMessage, podSelector, type Decision } from './job-decision.js';
import { KubeApiError } from './errors.js';
import type { Kube } from './http.js';
import { Informer } from './informer.js';
import { followContainerLog, podContainerView, type ContainerView, type ContainerWatch } from './log-follower.js';
import type { ContainerStatus, Job, KubeEvent, KubeObject, List, Pod } from './types.js';
import { TimeoutError, waitUntil } from './wait.js';

export interface JobRunDeps {
  readonly kube: Kube;
  readonly log: Log;
  readonly clock: Clock;
  /** Cancellation of the run: stops waits and log streams at once. */
  readonly signal: AbortSignal;
}

export interface JobRunOptions {
  /** Where the Job is created; overrides the object's own namespace. */
  readonly namespace: string;
  /** Budget from creation to outcome (the `job-timeout` input). */
  readonly timeoutMs: number;
  /** Server-side dry run: validated by the API server, nothing created, nothing run. */
  readonly dryRun?: boolean;
  /** Stream the containers' logs into the workflow log (default true). */
  readonly streamLogs?: boolean;
}

export interface JobRunResult {
  readonly jobName: string;
  /** `skipped` only for a dry run. */
  readonly result: 'passed' | 'failed' | 'skipped';
  /** From the deciding container's terminated state; undefined when it never ran. */
  readonly exitCode: number | undefined;
  /** CompletionsReached, BackoffLimitExceeded, DeadlineExceeded, ImagePullBackOff, FailedCreate, Timeout, ... */
  readonly reason: string;
  /** One line for the user. */
  readonly message: string;
  readonly podName: string | undefined;
  readonly durationMs: number;
  /** Lines that explain a failure (events; the log tail when the log was not streamed). Safe to print. */
  readonly evidence: readonly string[];
  /** Log lines streamed. */
  readonly logLines: number;
}

/** Time the log streams get, after the outcome, to read what is left. */
const DRAIN_MS = 60_000;

const jobsPath = (ns: string): string => `/apis/batch/v1/namespaces/${encodeURIComponent(ns)}/jobs`;

/** Pure: the body sent to create the Job, in `namespace`, without server-owned fields. */
export function jobBody(job: KubeObject, namespace: string): Job {
  const { status: _status, ...rest } = job as Job;
  const meta = { ...(job.metadata ?? {}) } as Record<string, unknown>;
  for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'selfLink', 'generation', 'deletionTimestamp']) delete meta[k];
  return { ...rest, apiVersion: job.apiVersion ?? 'batch/v1', kind: 'Job', metadata: { ...meta, namespace } } as Job;
}

export const describeJob = (job: KubeObject): string => job.metadata?.name ?? (job.metadata as { generateName?: string } | undefined)?.generateName ?? 'job';

/** Creates the Job (POST; with a dry run, `dryRun=All`). Throws ActionError with the server's reason. */
export async function createJob(deps: Pick<JobRunDeps, 'kube' | 'signal'>, job: KubeObject, o: Pick<JobRunOptions, 'namespace' | 'dryRun'>): Promise<Job> {
  const body = jobBody(job, o.namespace);
  try {
    return await deps.kube.request<Job>({
      method: 'POST',
      path: jobsPath(o.namespace),
      query: { fieldManager: FIELD_MANAGER, ...(o.dryRun ? { dryRun: 'All' } : {}) },
      body,
      signal: deps.signal,
    });
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    const name = describeJob(body);
    const causes = err.causes.map((c) => `  ${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}`);
    if (err.status === 409) {
      throw new ActionError(
        `job ${name} already exists in namespace ${o.namespace}: a Job's pod template cannot change, so every run needs a new name (use generateName, or a name unique to the run)`,
      );
    }
    throw new ActionError(`cannot create job ${name} in namespace ${o.namespace}: ${err.status} ${err.reason ? `${err.reason}: ` : ''}${err.serverMessage}`, causes);
  }
}

/**
 * Creates the Job and runs it to its outcome: streams every container's log as soon as it
 * starts, fails fast on a doomed pod or a FailedCreate of the Job, honours the timeout and the
 * cancellation. Returns the outcome (a failed test is a result, not an exception); throws
 * ActionError when the Job cannot be created, and the signal's reason when cancelled.
 * Deletes nothing.
 */
export async function runJob(deps: JobRunDeps, job: KubeObject, o: JobRunOptions): Promise<JobRunResult> {
  const t0 = deps.clock.now();
  const created = await createJob(deps, job, o);
  const jobName = created.metadata?.name ?? describeJob(job);
  if (o.dryRun) {
    return {
      jobName,
      result: 'skipped',
      exitCode: undefined,
      reason: 'DryRun',
      message: `dry run: job ${jobName} is valid and would be created in ${o.namespace}`,
      podName: undefined,
      durationMs: deps.clock.now() - t0,
      evidence: [],
      logLines: 0,
    };
  }
  deps.log.info(`Created job ${jobName} in namespace ${o.namespace}`);
  return awaitJob(deps, created, { ...o, startedAt: t0 });
}

/** A change fan-out that keeps working after the informers stop. */
class Hub {
  private fns = new Set<() => void>();
  on(fn: () => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(): void {
    for (const f of [...this.fns]) f();
  }
}

interface Follower {
  readonly pod: string;
  readonly container: string;
  readonly done: Promise<number>;
  lines: number;
}

/** Watches a created Job to its outcome; see runJob. */
export async function awaitJob(deps: JobRunDeps, created: Job, o: JobRunOptions & { startedAt?: number }): Promise<JobRunResult> {
  const { kube, log, clock } = deps;
  const t0 = o.startedAt ?? clock.now();
  const ns = o.namespace;
  const jobName = created.metadata?.name ?? '';
  const uid = created.metadata?.uid ?? '';
  const selector = podSelector(created);
  const stream = o.streamLogs ?? true;

  const jobs = new Informer<Job>(kube, jobsPath(ns), { fieldSelector: `metadata.name=${jobName}` });
  const pods = new Informer<Pod>(kube, `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { labelSelector: selector });
  const events = new Informer<KubeEvent>(kube, `/api/v1/namespaces/${encodeURIComponent(ns)}/events`, { fieldSelector: `involvedObject.uid=${uid}` });
  const ownPods = (): Pod[] => [...pods.items.values()].filter((p) => ownedByJob(p, uid)).sort(byCreation);

  const section = openSafeSection(log);
  const hub = new Hub();
  const offPods = pods.onChange(() => hub.emit());
  const followers = new Map<string, Follower>();
  const stopFollowers = new AbortController();
  const followSignal = AbortSignal.any([deps.signal, stopFollowers.signal]);
  let finishing = false;
  let lastPrintedPod: string | undefined;
  const seenPods = new Set<string>();

  const say = (text: string): void => (section.started ? section.note(text) : log.info(text));

  const startFollowers = (): void => {
    for (const pod of ownPods()) {
      const podName = pod.metadata?.name ?? '';
      if (!seenPods.has(podName)) {
        seenPods.add(podName);
        say(`  pod ${podName} created`);
      }
      if (!stream || pod.metadata?.deletionTimestamp) continue;
      const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
      const prefix = names.length > 1;
      for (const container of names) {
        const key = `${podName}/${container}`;
        if (followers.has(key)) continue;
        const watch: ContainerWatch = {
          current: () => finishView(podContainerView(pods.items.get(`${ns}/${podName}`), container), finishing),
          onChange: (fn) => hub.on(fn),
        };
        const f: Follower = {
          pod: podName,
          container,
          lines: 0,
          done: followContainerLog({
            kube,
            namespace: ns,
            pod: podName,
            container,
            watch,
            signal: followSignal,
            onLines: (lines) => {
              if (lastPrintedPod !== undefined && lastPrintedPod !== podName) section.note(`── logs of pod ${podName} ──`);
              lastPrintedPod = podName;
              f.lines += lines.length;
              section.lines(lines, prefix ? container : undefined);
            },
            onNote: (text) => section.note(`[kube-ephemeral] ${text}`),
          }).then(
            (r) => {
              if (r.started && !r.lines && r.unavailable) say(`  no log from ${podName}/${container}: ${r.unavailable}`);
              return r.lines;
            },
            () => f.lines,
          ),
        };
        followers.set(key, f);
      }
    }
  };

  const drain = async (): Promise<void> => {
    finishing = true;
    hub.emit();
    const all = Promise.all([...followers.values()].map((f) => f.done));
    const timer = setTimeout(() => stopFollowers.abort(new Error('log drain timed out')), DRAIN_MS);
    try {
      await all;
    } finally {
      clearTimeout(timer);
    }
  };

  let decision: Decision | { kind: 'timeout'; ms: number };
  try {
    const budget = Math.max(1000, o.timeoutMs - (clock.now() - t0));
    try {
      decision = await waitUntil(
        [jobs as Informer<KubeObject>, pods as Informer<KubeObject>, events as Informer<KubeObject>],
        () => {
          startFollowers();
          return decideJob(jobs.items.get(`${ns}/${jobName}`), uid, ownPods(), [...events.items.values()]);
        },
        { signal: deps.signal, timeoutMs: budget },
      );
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      decision = { kind: 'timeout', ms: o.timeoutMs };
    }
    const durationMs = clock.now() - t0;
    await drain();
    // The informers have stopped: read the pods once more for the final container states.
    const finalPods = await kube
      .request<List<Pod>>({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, query: { labelSelector: selector }, signal: deps.signal })
      .then((l) => l.items.filter((p) => ownedByJob(p, uid)))
      .catch(() => ownPods());
    const succeeded = decision.kind === 'outcome' ? decision.succeeded : false;
    const problemPod = decision.kind === 'problem' ? decision.problem.pod : undefined;
    const pod = decidingPod(finalPods, decision.kind === 'outcome' ? succeeded : undefined, problemPod);
    const cs = decision.kind === 'problem' && decision.problem.container ? findStatus(pod, decision.problem.container) : decidingContainer(pod);
    const exitCode = decision.kind === 'problem' && !cs?.state?.terminated ? undefined : cs?.state?.terminated?.exitCode;
    const reason = decision.kind === 'timeout' ? 'Timeout' : decision.kind === 'problem' ? decision.problem.reason : decision.reason;
    const message = outcomeMessage(jobName, decision, cs, durationMs);
    const logLines = [...followers.values()].reduce((n, f) => n + f.lines, 0);
    let evidence: string[] = [];
    if (!succeeded) {
      const streamedFromPod = [...followers.values()].some((f) => f.pod === pod?.metadata?.name && f.lines > 0);
      evidence = await collectEvidence(kube, ns, uid, finalPods, deps.signal, {
        pod: pod?.metadata?.name,
        container: decision.kind === 'problem' ? (decision.problem.container ?? cs?.name) : cs?.name,
        previous: decision.kind === 'problem' && decision.problem.previous === true,
        readLog: !streamedFromPod,
      });
    }
    return {
      jobName,
      result: succeeded ? 'passed' : 'failed',
      exitCode,
      reason,
      message,
      podName: pod?.metadata?.name,
      durationMs,
      evidence,
      logLines,
    };
  } finally {
    offPods();
    stopFollowers.abort(new Error('job run ended'));
    await Promise.allSettled([...followers.values()].map((f) => f.done));
    section.close();
  }
}

/** While finishing, a container that runs is read to its end, one that never started is skipped. */
function finishView(v: ContainerView, finishing: boolean): ContainerView {
  if (!finishing) return v;
  if (v.state === 'running') return { ...v, state: 'terminated' };
  if (v.state === 'waiting') return { ...v, state: v.restartCount > 0 ? 'terminated' : 'gone' };
  return v;
}

function findStatus(pod: Pod | undefined, container: string): ContainerStatus | undefined {
  return [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find((c) => c.name === container);
}

function ownedByJob(pod: Pod, uid: string): boolean {
  const refs = pod.metadata?.ownerReferences;
  // Pods created by the Job controller always carry the reference; without any, trust the selector.
  return !refs?.length || refs.some((r) => r.uid === uid);
}

export { decideJob, decidingContainer, decidingPod, logTail, outcomeMessage, podSelector };
