import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS_TO_SKIP,
  availableRevisions,
  chooseRollbackTarget,
  equalIgnoreHash,
  normalize,
  ownedReplicaSets,
  planRollback,
  restartPatch,
  revisionOf,
  rfc3339,
  rollbackAnnotations,
  selectorString,
  semanticEqual,
  templateWithoutHash,
} from '../../src/kube/rollout.js';
import type { Deployment, PodTemplate, ReplicaSet } from '../../src/kube/types.js';

const DUID = 'deploy-uid';

const template = (image: string, extra: Partial<PodTemplate['metadata']> = {}): PodTemplate => ({
  metadata: { labels: { app: 'web' }, ...extra },
  spec: { containers: [{ name: 'web', image, resources: {} }], restartPolicy: 'Always' },
});

const rs = (revision: string | undefined, image: string, o: { uid?: string; owner?: string; controller?: boolean; annotations?: Record<string, string> } = {}): ReplicaSet => ({
  metadata: {
    name: `web-${image.replace(/\W/g, '')}`,
    uid: o.uid ?? `rs-${revision}-${image}`,
    annotations: { ...(revision === undefined ? {} : { 'deployment.kubernetes.io/revision': revision }), ...o.annotations },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: o.owner ?? DUID, controller: o.controller ?? true }],
  },
  spec: { template: { ...template(image), metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } } } },
});

const deployment = (image: string, revision: string, o: { paused?: boolean; annotations?: Record<string, string> } = {}): Deployment => ({
  metadata: { name: 'web', uid: DUID, annotations: { 'deployment.kubernetes.io/revision': revision, ...o.annotations } },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(image), ...(o.paused ? { paused: true } : {}) },
});

describe('revisionOf', () => {
  it.each([
    ['3', 3],
    [undefined, 0], // missing counts as 0, like deploymentutil.Revision
    ['x', undefined], // unreadable is ignored
    [' 12 ', 12],
  ])('%s -> %s', (v, want) => {
    expect(revisionOf({ metadata: { annotations: v === undefined ? {} : { 'deployment.kubernetes.io/revision': v } } })).toBe(want);
  });
});

describe('selectorString', () => {
  it('turns matchLabels and matchExpressions into a label selector', () => {
    expect(
      selectorString({
        matchLabels: { b: '2', a: '1' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'api'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'x', operator: 'Exists' },
          { key: 'y', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('a=1,b=2,tier in (api,web),env notin (dev),x,!y');
    expect(selectorString(undefined)).toBe('');
  });
});

describe('ownedReplicaSets', () => {
  it('keeps only ReplicaSets controlled by the Deployment (uid and controller: true)', () => {
    const mine = rs('1', 'a');
    const other = rs('2', 'b', { owner: 'someone-else' });
    const notController = rs('3', 'c', { controller: false });
    expect(ownedReplicaSets(deployment('a', '1'), [mine, other, notController])).toEqual([mine]);
  });
});

describe('chooseRollbackTarget', () => {
  const owned = [rs('1', 'a'), rs('4', 'd'), rs('2', 'b'), rs('3', 'c')];
  it('previous = the second-highest revision, whatever the order', () => {
    const t = chooseRollbackTarget(owned, undefined);
    expect(t.ok && t.revision).toBe(3);
    expect(t.ok && t.rs.spec?.template?.spec?.containers[0]?.image).toBe('c');
  });
  it('a given revision: exactly that ReplicaSet', () => {
    const t = chooseRollbackTarget(owned, 2);
    expect(t.ok && t.rs.spec?.template?.spec?.containers[0]?.image).toBe('b');
  });
  it('an unknown revision: not found, with the available ones', () => {
    expect(chooseRollbackTarget(owned, 9)).toEqual({ ok: false, reason: 'not-found', available: [1, 2, 3, 4] });
  });
  it('only one revision: no history', () => {
    expect(chooseRollbackTarget([rs('1', 'a')], undefined)).toEqual({ ok: false, reason: 'no-history', available: [1] });
  });
  it('a ReplicaSet without the annotation counts as revision 0; an unreadable one is ignored', () => {
    const t = chooseRollbackTarget([rs(undefined, 'zero'), rs('1', 'a'), rs('junk', 'j')], undefined);
    expect(t.ok && t.revision).toBe(0);
    expect(availableRevisions([rs(undefined, 'zero'), rs('1', 'a'), rs('junk', 'j')])).toEqual([0, 1]);
  });
});

describe('semantic equality of templates', () => {
  it('treats null, empty lists and empty maps as absent', () => {
    expect(semanticEqual({ a: [], b: {}, c: null, d: 1 }, { d: 1 })).toBe(true);
    expect(semanticEqual({ spec: { volumes: [], containers: [{ name: 'x', env: [] }] } }, { spec: { containers: [{ name: 'x' }] } })).toBe(true);
    expect(normalize({ metadata: { creationTimestamp: null, labels: {} } })).toBeUndefined();
  });
  it('sees real differences, and list order', () => {
    expect(semanticEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(semanticEqual({ l: [1, 2] }, { l: [2, 1] })).toBe(false);
    expect(semanticEqual({ a: '' }, {})).toBe(false);
  });
  it('key order does not matter', () => {
    expect(semanticEqual({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
  });
  it('equalIgnoreHash ignores only the pod-template-hash label', () => {
    const withHash: PodTemplate = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' }, creationTimestamp: undefined }, spec: template('a').spec! };
    expect(equalIgnoreHash(withHash, template('a'))).toBe(true);
    expect(equalIgnoreHash(withHash, template('b'))).toBe(false);
    expect(equalIgnoreHash(withHash, template('a', { labels: { app: 'web', tier: 'x' } }))).toBe(false);
  });
  it('templateWithoutHash copies, never changes its argument', () => {
    const t: PodTemplate = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [] } };
    expect(templateWithoutHash(t).metadata?.labels).toEqual({ app: 'web' });
    expect(t.metadata?.labels?.['pod-template-hash']).toBe('abc');
  });
});

describe('rollbackAnnotations', () => {
  it('keeps the skip-list values of the Deployment and takes every other annotation of the ReplicaSet', () => {
    const d = {
      'deployment.kubernetes.io/revision': '4',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'kubernetes.io/change-cause': 'current cause',
      'team': 'a',
    };
    const r = {
      'deployment.kubernetes.io/revision': '2',
      'deployment.kubernetes.io/revision-history': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'kubernetes.io/change-cause': 'old cause',
      'owner': 'b',
    };
    expect(rollbackAnnotations(d, r)).toEqual({
      'deployment.kubernetes.io/revision': '4',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'kubernetes.io/change-cause': 'old cause',
      owner: 'b',
    });
    expect(ANNOTATIONS_TO_SKIP).toContain('deprecated.deployment.rollback.to');
  });
});

describe('planRollback (kubectl rollout undo)', () => {
  const owned = [rs('1', 'app:1', { annotations: { 'kubernetes.io/change-cause': 'v1' } }), rs('2', 'app:2'), rs('3', 'app:3')];
  it('to the previous revision: one JSON patch replacing /spec/template (no hash label) and /metadata/annotations', () => {
    const p = planRollback(deployment('app:3', '3'), owned, undefined);
    expect(p.kind).toBe('patch');
    if (p.kind !== 'patch') return;
    expect(p.revision).toBe(2);
    expect(p.image).toBe('app:2');
    expect(p.patch).toEqual([
      { op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'web' } }, spec: template('app:2').spec } },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '3' } },
    ]);
  });
  it('to a given revision, carrying its change-cause', () => {
    const p = planRollback(deployment('app:3', '3'), owned, 1);
    expect(p.kind === 'patch' && p.patch[1]?.value).toEqual({ 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'v1' });
  });
  it('no-op when the current template already matches', () => {
    expect(planRollback(deployment('app:3', '3'), owned, 3)).toEqual({ kind: 'skip', revision: 3, message: 'skipped rollback (current template already matches revision 3)' });
    // the previous revision's template equals the current one (e.g. a restart was undone meanwhile)
    expect(planRollback(deployment('app:2', '3'), owned, undefined).kind).toBe('skip');
  });
  it('unknown revision refused with the list of available revisions', () => {
    const p = planRollback(deployment('app:3', '3'), owned, 7);
    expect(p).toEqual({ kind: 'refused', available: [1, 2, 3], message: expect.stringContaining('available revisions: 1, 2, 3 (current: 3)') });
  });
  it('no previous revision refused', () => {
    expect(planRollback(deployment('app:1', '1'), [owned[0]!], undefined)).toMatchObject({ kind: 'refused', message: expect.stringContaining('no rollout history found for deployment "web"') });
  });
  it('a paused Deployment refused (after the revision lookup, as kubectl)', () => {
    expect(planRollback(deployment('app:3', '3', { paused: true }), owned, undefined)).toMatchObject({ kind: 'refused', message: expect.stringContaining('paused') });
    expect(planRollback(deployment('app:3', '3', { paused: true }), owned, 9)).toMatchObject({ kind: 'refused', message: expect.stringContaining('unable to find specified revision 9') });
  });
  it('uses add for the annotations when the Deployment has none', () => {
    const d = deployment('app:3', '3');
    delete d.metadata!.annotations;
    const p = planRollback(d, owned, 1);
    expect(p.kind === 'patch' && p.patch[1]?.op).toBe('add');
  });
});

describe('restart', () => {
  it('rfc3339 is Go time.RFC3339 in UTC, whole seconds', () => {
    expect(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05Z');
  });
  it('the patch sets only the restartedAt pod-template annotation', () => {
    expect(restartPatch(Date.UTC(2026, 6, 1, 12, 0, 0))).toEqual({
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-07-01T12:00:00Z' } } } },
    });
  });
});
