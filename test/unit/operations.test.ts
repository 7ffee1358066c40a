import { describe, expect, it } from 'vitest';
import { workloadsByNamespace } from '../../src/commands/apply.js';
import { age, htmlTable, operationNamespace } from '../../src/commands/ops-common.js';
import { shouldRollBack } from '../../src/commands/rollback-post.js';
import { assessmentState, expiryOf, jobRow, podRow, quotaRows, relatedEventLines } from '../../src/commands/status-view.js';
import type { RunContext } from '../../src/context.js';
import { parseInputs, INPUT_DEFAULTS, type InputName } from '../../src/inputs.js';
import { assessReplacement, podController } from '../../src/kube/pod-replace.js';
import type { Namespace, Pod } from '../../src/kube/types.js';

const ctx = (pr?: number): RunContext => ({
  owner: 'acme',
  repo: 'shop',
  eventName: pr ? 'pull_request' : 'workflow_dispatch',
  eventPrNumber: pr,
  sha: 'f'.repeat(40),
  runId: '1',
  runAttempt: '1',
  runUrl: '',
  serverUrl: '',
  apiUrl: '',
  actor: 'octocat',
  prState: undefined,
});
const inputs = (o: Partial<Record<InputName, string>>) => parseInputs((n) => o[n] ?? INPUT_DEFAULTS[n]);

describe('operationNamespace', () => {
  it('namespace first, else the PR environment, else none', () => {
    expect(operationNamespace(inputs({ command: 'status', namespace: 'prod' }), ctx(7))).toBe('prod');
    expect(operationNamespace(inputs({ command: 'status' }), ctx(7))).toBe('pr-7-shop');
    expect(operationNamespace(inputs({ command: 'status', 'pr-number': '9' }), ctx())).toBe('pr-9-shop');
    expect(operationNamespace(inputs({ command: 'status' }), ctx())).toBeUndefined();
  });
});

describe('workloadsByNamespace', () => {
  it('Deployments and StatefulSets, grouped by namespace; other kinds ignored', () => {
    const m = workloadsByNamespace([
      { kind: 'Deployment', name: 'a', namespace: 'x' },
      { kind: 'StatefulSet', name: 'b', namespace: 'y' },
      { kind: 'Deployment', name: 'c', namespace: 'x' },
      { kind: 'ConfigMap', name: 'd', namespace: 'x' },
      { kind: 'CustomResourceDefinition', name: 'e', namespace: undefined },
    ]);
    expect([...m]).toEqual([
      ['x', [{ kind: 'Deployment', name: 'a' }, { kind: 'Deployment', name: 'c' }]],
      ['y', [{ kind: 'StatefulSet', name: 'b' }]],
    ]);
  });
});

const CTRL = 'rs-uid';
const pod = (uid: string, o: { ready?: boolean; deleting?: boolean; owner?: string; waiting?: string; phase?: string } = {}): Pod => ({
  metadata: {
    name: `web-${uid}`,
    uid,
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    ownerReferences: o.owner === 'none' ? [] : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: o.owner ?? CTRL, controller: true }],
  },
  spec: { containers: [{ name: 'web' }] },
  status: {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'web', image: 'x', ready: !!o.ready, ...(o.waiting ? { state: { waiting: { reason: o.waiting } } } : {}) }],
  },
});

describe('assessReplacement (restart by pod)', () => {
  const before = new Set(['old', 'sibling']);
  it('waits while only the old pods exist, even Ready ones', () => {
    expect(assessReplacement([pod('old', { ready: true, deleting: true }), pod('sibling', { ready: true })], CTRL, before, 'ReplicaSet')).toEqual({ state: 'waiting', message: 'no replacement pod yet' });
  });
  it('ready once a new pod of the same controller is Ready', () => {
    expect(assessReplacement([pod('sibling', { ready: true }), pod('new', { ready: true })], CTRL, before, 'ReplicaSet')).toEqual({ state: 'ready', pod: 'web-new' });
  });
  it('pods of other controllers do not count', () => {
    expect(assessReplacement([pod('new', { ready: true, owner: 'other' })], CTRL, before, 'ReplicaSet').state).toBe('waiting');
  });
  it('a doomed replacement fails at once', () => {
    expect(assessReplacement([pod('new', { waiting: 'ImagePullBackOff' })], CTRL, before, 'ReplicaSet')).toMatchObject({ state: 'failed', problem: { reason: 'ImagePullBackOff' } });
  });
  it('a Job pod that succeeded is a replacement', () => {
    expect(assessReplacement([pod('new', { phase: 'Succeeded' })], CTRL, before, 'Job').state).toBe('ready');
  });
  it('podController: the controller reference, none for a bare pod', () => {
    expect(podController(pod('a'))?.uid).toBe(CTRL);
    expect(podController(pod('a', { owner: 'none' }))).toBeUndefined();
  });
});

describe('status view', () => {
  it('assessment to state', () => {
    expect(assessmentState(true)).toEqual({ state: 'ready', message: '' });
    expect(assessmentState('deployment/web: 0 of 2 new replicas updated')).toEqual({ state: 'progressing', message: '0 of 2 new replicas updated' });
    expect(assessmentState({ reason: 'FailedCreate', message: 'pods cannot be created' })).toEqual({ state: 'failed', message: 'FailedCreate: pods cannot be created' });
  });
  it('job rows', () => {
    expect(jobRow({ metadata: { name: 'j' }, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } }, [])).toMatchObject({ state: 'succeeded', ready: '1/1' });
    expect(jobRow({ metadata: { name: 'j' }, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }, [])).toMatchObject({ state: 'failed', message: 'BackoffLimitExceeded' });
    expect(jobRow({ metadata: { name: 'j' }, status: { active: 1 } }, [])).toMatchObject({ state: 'running' });
  });
  it('pod rows', () => {
    expect(podRow(pod('a', { ready: true }))).toMatchObject({ state: 'ready', ready: '1/1' });
    expect(podRow(pod('a', { waiting: 'CrashLoopBackOff' }))).toMatchObject({ state: 'failed' });
  });
  it('quota rows: used of hard, sorted by resource', () => {
    expect(quotaRows([{ metadata: { name: 'q' }, status: { hard: { pods: '10', 'limits.cpu': '1' }, used: { pods: '3' } } }])).toEqual([
      { quota: 'q', resource: 'limits.cpu', used: '0', hard: '1' },
      { quota: 'q', resource: 'pods', used: '3', hard: '10' },
    ]);
  });
  it('expiry', () => {
    const ns = (at?: string): Namespace => ({ metadata: { annotations: at ? { 'kube-ephemeral.io/expires-at': at } : {} } });
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(expiryOf(ns('2026-01-01T00:42:00Z'), now)).toEqual({ expiresAt: '2026-01-01T00:42:00Z', text: 'in 42m', expired: false });
    expect(expiryOf(ns('2025-12-31T23:59:00Z'), now)).toMatchObject({ expired: true, text: 'expired 60s ago' });
    expect(expiryOf(ns(), now)).toMatchObject({ expiresAt: null, expired: false });
  });
  it('related events by uid', () => {
    const lines = relatedEventLines(
      [
        { involvedObject: { kind: 'Pod', name: 'a', uid: 'u1' }, reason: 'BackOff', type: 'Warning', message: 'x' },
        { involvedObject: { kind: 'Pod', name: 'b', uid: 'u2' }, reason: 'Other', type: 'Warning', message: 'y' },
      ],
      new Set(['u1']),
      new Set(),
    );
    expect(lines).toEqual(['Warning BackOff pod/a: x']);
  });
});

describe('helpers', () => {
  it('htmlTable escapes cells', () => {
    expect(htmlTable(['a'], [['<b>|x']])).toBe('<table><tr><th>a</th></tr>\n<tr><td>&lt;b&gt;&#124;x</td></tr></table>\n');
  });
  it('age', () => {
    expect([age(5), age(600), age(3 * 3600 + 120), age(3 * 86400)]).toEqual(['5s', '10m', '3h 2m', '3d']);
  });
  it('post rolls back a long-lived namespace unless the run succeeded', () => {
    expect(shouldRollBack({ mode: 'long-lived', outcome: 'failure' })).toBe(true);
    expect(shouldRollBack({ mode: 'long-lived', outcome: undefined })).toBe(true);
    expect(shouldRollBack({ mode: 'long-lived', outcome: 'success' })).toBe(false);
    expect(shouldRollBack({ mode: 'ephemeral', outcome: 'failure' })).toBe(false);
  });
});
