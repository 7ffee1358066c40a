/**
 * assessDeployment / assessStatefulSet right after a spec change (a rollback, a new image): until
 * the controller has observed the new generation, the revision annotation still names the previous
 * rollout, whose doomed pods must not fail the new one. Found by the rollback benchmark: `command:
 * rollback` away from an ImagePullBackOff rollout failed at once on the pods being replaced.
 */
import { describe, expect, it } from 'vitest';
import { assessDeployment, assessStatefulSet, type Snapshot } from '../../src/kube/workloads.js';
import type { Deployment, Pod, ReplicaSet, StatefulSet } from '../../src/kube/types.js';

const REV = 'deployment.kubernetes.io/revision';
const owner = (uid: string) => [{ apiVersion: 'v1', kind: 'X', name: 'x', uid, controller: true }];

function pod(name: string, ownerUid: string, state: 'pull' | 'ok', extraLabels: Record<string, string> = {}): Pod {
  return {
    metadata: { name, ownerReferences: owner(ownerUid), labels: extraLabels },
    status:
      state === 'pull'
        ? { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "bad"' } } }] }
        : { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }] },
  } as Pod;
}

const rs = (uid: string, revision: string): ReplicaSet => ({ metadata: { name: `app-${uid}`, uid, annotations: { [REV]: revision }, ownerReferences: owner('dep') } }) as ReplicaSet;

function deployment(generation: number, observed: number, revision: string): Deployment {
  return {
    metadata: { name: 'app', uid: 'dep', generation, annotations: { [REV]: revision } },
    spec: { replicas: 1 },
    status: { observedGeneration: observed, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
  } as Deployment;
}

const snapshot = (o: Partial<Snapshot>): Snapshot => ({ deployments: new Map(), statefulSets: new Map(), replicaSets: [], pods: [], events: [], ...o });

describe('assessDeployment after a spec change', () => {
  const pods = [pod('app-bad-1', 'bad', 'pull'), pod('app-good-1', 'good', 'ok')];
  const replicaSets = [rs('bad', '2'), rs('good', '3')];

  it('waits while the new generation is not observed, even though the old revision has a doomed pod', () => {
    // rolled back to the good template: generation 3, the controller still at 2 (revision 2 = bad)
    const d = deployment(3, 2, '2');
    expect(assessDeployment(d, 'app', snapshot({ pods, replicaSets }))).toBe('deployment/app: waiting for the new spec to be observed');
  });

  it('once observed, judges the pods of the current revision only (the old doomed pod is being removed)', () => {
    const d = deployment(3, 3, '3');
    expect(assessDeployment(d, 'app', snapshot({ pods, replicaSets }))).toBe('deployment/app: 1 old replica(s) pending termination');
  });

  it('still fails fast when the current revision itself is doomed', () => {
    const d = deployment(2, 2, '2');
    const r = assessDeployment(d, 'app', snapshot({ pods, replicaSets }));
    expect(r).toMatchObject({ reason: 'ImagePullBackOff', pod: 'app-bad-1' });
  });
});

describe('assessStatefulSet after a spec change', () => {
  const st = (generation: number, observed: number, updateRevision: string): StatefulSet =>
    ({ metadata: { name: 'db', uid: 'sts', generation }, spec: { replicas: 1 }, status: { observedGeneration: observed, updateRevision, currentRevision: 'db-1', readyReplicas: 0 } }) as StatefulSet;
  const pods = [pod('db-0', 'sts', 'pull', { 'controller-revision-hash': 'db-1' })];

  it('waits while the new generation is not observed', () => {
    expect(assessStatefulSet(st(2, 1, 'db-1'), 'db', snapshot({ pods }))).toBe('statefulset/db: waiting for the new spec to be observed');
  });

  it('fails fast on a doomed pod of the observed revision', () => {
    expect(assessStatefulSet(st(1, 1, 'db-1'), 'db', snapshot({ pods }))).toMatchObject({ reason: 'ImagePullBackOff' });
  });
});
