import { describe, expect, it } from 'vitest';
import { jobFromManifest, jobFromTestImage, jobGenerateName } from '../../src/commands/run-job.js';
import type { RunContext } from '../../src/context.js';
import { decideJob, decidingContainer, decidingPod, jobBody, outcomeMessage, podSelector } from '../../src/kube/job-run.js';
import type { Job, KubeEvent, Pod } from '../../src/kube/types.js';

const UID = 'job-uid-1';
const job = (conditions: Job['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never = [], active = 0): Job => ({
  metadata: { name: 'test-1-1-abcde', uid: UID },
  status: { conditions, active },
});
const pod = (name: string, o: Partial<NonNullable<Pod['status']>> = {}, created = '2026-11-23T10:00:00Z'): Pod => ({
  metadata: { name, creationTimestamp: created, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'test', uid: UID }] },
  spec: { containers: [{ name: 'test' }] },
  status: o,
});
const failedCreate: KubeEvent = {
  involvedObject: { kind: 'Job', name: 'test-1-1-abcde', uid: UID },
  reason: 'FailedCreate',
  type: 'Warning',
  message: 'Error creating: pods "x" is forbidden: failed quota: q: must specify limits.cpu for: test',
};

describe('decideJob', () => {
  it.each([
    ['no condition yet: wait', job(), [], [], undefined],
    ['SuccessCriteriaMet: passed, without waiting for Complete', job([{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' }]), [], [], { kind: 'outcome', succeeded: true, reason: 'CompletionsReached' }],
    ['FailureTarget: failed', job([{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]), [], [], { kind: 'outcome', succeeded: false, reason: 'BackoffLimitExceeded' }],
    ['Failed DeadlineExceeded', job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }]), [], [], { kind: 'outcome', succeeded: false, reason: 'DeadlineExceeded' }],
    [
      'a pod in ImagePullBackOff: doomed',
      job(),
      [pod('p', { phase: 'Pending', containerStatuses: [{ name: 'test', image: 'x', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] })],
      [],
      { kind: 'problem', problem: expect.objectContaining({ reason: 'ImagePullBackOff', pod: 'p', container: 'test' }) },
    ],
    [
      'unschedulable: doomed',
      job(),
      [pod('p', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available' }] })],
      [],
      { kind: 'problem', problem: expect.objectContaining({ reason: 'Unschedulable' }) },
    ],
    ['FailedCreate with no pod: doomed', job(), [], [failedCreate], { kind: 'problem', problem: expect.objectContaining({ reason: 'FailedCreate', message: expect.stringContaining('must specify limits.cpu') }) }],
    ['FailedCreate while a pod runs: wait', job([], 1), [pod('p', { phase: 'Running' })], [failedCreate], undefined],
    ['FailedCreate of another Job with the same name: wait', job(), [], [{ ...failedCreate, involvedObject: { kind: 'Job', name: 'test-1-1-abcde', uid: 'older' } }], undefined],
    ['the Job was deleted', undefined, [], [], { kind: 'problem', problem: expect.objectContaining({ reason: 'JobDeleted' }) }],
  ] as const)('%s', (_name, j, pods, events, expected) => {
    const d = decideJob(j, UID, pods, events);
    if (expected === undefined) expect(d).toBeUndefined();
    else expect(d).toMatchObject(expected);
  });
});

describe('the deciding pod and container', () => {
  const failedPod = (name: string, created: string) =>
    pod(name, { phase: 'Failed', containerStatuses: [{ name: 'test', state: { terminated: { exitCode: 2, reason: 'Error' } } }] }, created);
  it('takes the newest failed pod, and its non-zero exit', () => {
    const p = decidingPod([failedPod('b', '2026-11-23T10:00:02Z'), failedPod('a', '2026-11-23T10:00:01Z'), pod('c', { phase: 'Pending' }, '2026-11-23T10:00:00Z')], false);
    expect(p?.metadata?.name).toBe('b');
    expect(decidingContainer(p)?.state?.terminated?.exitCode).toBe(2);
  });
  it('prefers the container that failed over a sidecar that exited 0', () => {
    const p = pod('p', {
      containerStatuses: [
        { name: 'sidecar', state: { terminated: { exitCode: 0 } } },
        { name: 'test', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
      ],
    });
    expect(decidingContainer(p)?.name).toBe('test');
  });
  it('has no container when none ran', () => expect(decidingContainer(pod('p', { phase: 'Pending' }))).toBeUndefined());
});

describe('outcomeMessage', () => {
  const cs = { name: 'test', state: { terminated: { exitCode: 1, reason: 'Error', message: 'tests\nfailed' } } };
  it.each([
    [{ kind: 'outcome', succeeded: false, reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }, cs, 'job j failed: container test exited with code 1: tests failed (BackoffLimitExceeded: Job has reached the specified backoff limit)'],
    [{ kind: 'outcome', succeeded: true, reason: 'CompletionsReached', message: '' }, undefined, 'job j passed in 4.2 s'],
    [{ kind: 'problem', problem: { reason: 'ImagePullBackOff', message: 'cannot pull image x' } }, undefined, 'job j failed: ImagePullBackOff: cannot pull image x'],
    [{ kind: 'timeout', ms: 1_800_000 }, undefined, 'job j did not finish within 30 min (job-timeout); it was left as it is'],
    [{ kind: 'outcome', succeeded: false, reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }, undefined, 'job j failed: DeadlineExceeded: Job was active longer than specified deadline'],
  ] as const)('%j', (d, c, text) => {
    const m = outcomeMessage('j', d, c, 4200);
    expect(m).toBe(text);
    expect(m).not.toContain('\n');
  });
});

describe('jobBody / podSelector', () => {
  it('moves the Job to the namespace and drops server-owned fields', () => {
    const b = jobBody({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x', namespace: 'other', uid: 'u', resourceVersion: '5' }, status: { active: 1 } }, 'target');
    expect(b.metadata).toEqual({ name: 'x', namespace: 'target' });
    expect(b.status).toBeUndefined();
  });
  it('selects pods by the controller-uid label, or by a manual selector', () => {
    expect(podSelector({ metadata: { uid: 'u1' }, spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } } })).toBe('batch.kubernetes.io/controller-uid=u1');
    expect(podSelector({ metadata: { uid: 'u1' }, spec: { manualSelector: true, selector: { matchLabels: { app: 'x', run: '2' } } } })).toBe('app=x,run=2');
  });
});

const ctx: RunContext = {
  owner: 'acme',
  repo: 'shop',
  eventName: 'workflow_dispatch',
  eventPrNumber: undefined,
  sha: 'f'.repeat(40),
  runId: '123456',
  runAttempt: '2',
  runUrl: '',
  serverUrl: '',
  apiUrl: '',
  actor: '',
  prState: undefined,
};

describe('run-job: the Job', () => {
  it('names Jobs <base>-<run>-<attempt>- for the server to make unique, within 63 characters', () => {
    expect(jobGenerateName('test', ctx)).toBe('test-123456-2-');
    const long = jobGenerateName('a'.repeat(80), ctx);
    expect(long.length).toBeLessThanOrEqual(58);
    expect(long).toMatch(/^a+-123456-2-$/);
    expect(jobGenerateName('My_Job', ctx)).toBe('my-job-123456-2-');
  });

  it('takes exactly one Job from a manifest, in the target namespace, with a run-unique name', () => {
    const j = jobFromManifest('---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: prod\n  labels: {team: a}\nspec:\n  template: {spec: {containers: [{name: m, image: x}]}}\n---\n', 'job.yaml', ctx, 7);
    expect(j.metadata).toEqual({
      generateName: 'migrate-123456-2-',
      labels: { team: 'a', 'app.kubernetes.io/managed-by': 'kube-ephemeral', 'kube-ephemeral.io/repo': 'acme.shop', 'kube-ephemeral.io/pr': '7', 'kube-ephemeral.io/component': 'run-job' },
    });
    expect(jobFromManifest('kind: Job\nmetadata: {generateName: own-}\n', 'j.yaml', ctx, undefined).metadata).toMatchObject({ generateName: 'own-' });
  });

  it.each([
    ['', /exactly one Job document, it holds 0/],
    ['kind: Job\n---\nkind: Job\n', /exactly one Job document, it holds 2/],
    ['kind: Deployment\n', /must hold a Job \(kind: Job\), not kind Deployment/],
    ['just text', /must hold a Job/],
    ['kind: Job\napiVersion: batch/v2\n', /apiVersion must be batch\/v1/],
    ['kind: [', /not valid YAML/],
  ])('rejects %j naming the job input', (text, msg) => {
    expect(() => jobFromManifest(text, 'job.yaml', ctx, undefined)).toThrow(msg);
    expect(() => jobFromManifest(text, 'job.yaml', ctx, undefined)).toThrow(/^job: job.yaml/);
  });

  it('builds the test-image Job: sh -c, env, one attempt, no invented resources', () => {
    const j = jobFromTestImage({ test: { image: 'ghcr.io/acme/tests:1', command: 'npm test', env: [{ name: 'A', value: '1' }] }, jobTimeoutMs: 1_800_000 }, ctx, undefined);
    const spec = j.spec as unknown as { backoffLimit: number; activeDeadlineSeconds: number; template: { spec: { restartPolicy: string; containers: Record<string, unknown>[] } } };
    expect(spec.backoffLimit).toBe(0);
    expect(spec.activeDeadlineSeconds).toBe(1800);
    expect(spec.template.spec.restartPolicy).toBe('Never');
    expect(spec.template.spec.containers).toEqual([{ name: 'test', image: 'ghcr.io/acme/tests:1', command: ['sh', '-c', 'npm test'], env: [{ name: 'A', value: '1' }] }]);
    expect(j.metadata).toMatchObject({ generateName: 'test-123456-2-' });
  });
});
