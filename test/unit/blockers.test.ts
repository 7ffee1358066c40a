import { describe, expect, it } from 'vitest';
import { limiter, mapLimit } from '../../src/concurrency.js';
import { remainingResources, singular } from '../../src/kube/blockers.js';
import type { Namespace } from '../../src/kube/types.js';

const terminating = (message: string): Namespace => ({
  metadata: { name: 'pr-7-shop', deletionTimestamp: '2026-11-23T10:00:00Z' },
  status: { phase: 'Terminating', conditions: [{ type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message }] },
});

describe('what keeps a namespace in Terminating', () => {
  it('reads the remaining resource types from the namespace controller (as kube-controller-manager v1.37 writes them)', () => {
    expect(remainingResources(terminating('Some resources are remaining: configmaps. has 1 resource instances'))).toEqual([{ group: '', resource: 'configmaps' }]);
    expect(remainingResources(terminating('Some resources are remaining: pods. has 2 resource instances, widgets.example.com has 1 resource instances'))).toEqual([
      { group: '', resource: 'pods' },
      { group: 'example.com', resource: 'widgets' },
    ]);
    expect(remainingResources(undefined)).toEqual([]);
    expect(remainingResources({ metadata: {}, status: { conditions: [{ type: 'NamespaceContentRemaining', status: 'False', message: 'All content successfully removed' }] } })).toEqual([]);
  });
  it.each([
    ['configmaps', 'configmap'],
    ['networkpolicies', 'networkpolicy'],
    ['ingresses', 'ingress'],
    ['pods', 'pod'],
    ['widgets', 'widget'],
  ])('%s -> %s', (plural, one) => expect(singular(plural)).toBe(one));
});

describe('limiter', () => {
  it('never runs more than max at once, and keeps the order of results', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([...Array(25).keys()], 4, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2 + (i % 3)));
      active--;
      return i * 2;
    });
    expect(peak).toBe(4);
    expect(out).toEqual([...Array(25).keys()].map((i) => i * 2));
  });
  it('a failing task frees its slot and rejects only its own promise', async () => {
    const limit = limiter(1);
    const a = limit(async () => {
      throw new Error('boom');
    });
    const b = limit(async () => 'ok');
    await expect(a).rejects.toThrow('boom');
    await expect(b).resolves.toBe('ok');
  });
});
