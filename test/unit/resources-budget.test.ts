import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { quantityValue } from '../../src/input-parsers.js';
import { describePods, podBudget, POD_CAP, POD_FLOOR, type PodCounts } from '../../src/environment/resources.js';

const counts = (databases: number, appReplicas: number, test: number): PodCounts => ({
  databases,
  appReplicas,
  appSurge: appReplicas > 0 ? 1 : 0,
  test,
});

describe('podBudget: every pod gets quota / pods, capped and floored', () => {
  it.each([
    // cpu, memory, pods planned (db, replicas, test) -> limits and requests of each pod
    { cpu: '1000m', memory: '1Gi', c: counts(1, 1, 1), limits: ['250m', '256Mi'], requests: ['62m', '128Mi'] },
    { cpu: '1', memory: '1Gi', c: counts(0, 1, 0), limits: ['500m', '512Mi'], requests: ['125m', '256Mi'] },
    { cpu: '8', memory: '16Gi', c: counts(2, 2, 1), limits: ['500m', '512Mi'], requests: ['125m', '256Mi'] },
    { cpu: '1000m', memory: '1Gi', c: counts(1, 1, 0), limits: ['333m', '341Mi'], requests: ['83m', '170Mi'] },
    { cpu: '2', memory: '2G', c: counts(4, 3, 1), limits: ['222m', '211Mi'], requests: ['55m', '105Mi'] },
    { cpu: '500m', memory: '640Mi', c: counts(2, 1, 1), limits: ['100m', '128Mi'], requests: ['25m', '64Mi'] },
    { cpu: '250m', memory: '256Mi', c: counts(1, 1, 1), limits: ['62m', '64Mi'], requests: ['15m', '32Mi'] },
    { cpu: '300m', memory: '200Mi', c: counts(0, 0, 0), limits: ['300m', '200Mi'], requests: ['75m', '100Mi'] },
  ])('$cpu / $memory for $c.databases db, $c.appReplicas replicas, $c.test test', ({ cpu, memory, c, limits, requests }) => {
    const b = podBudget({ cpu, memory, pods: 50 }, c);
    expect([b.perPod.limits.cpu, b.perPod.limits.memory]).toEqual(limits);
    expect([b.perPod.requests.cpu, b.perPod.requests.memory]).toEqual(requests);
  });

  it('all pods together stay within the quota, and requests within limits', () => {
    for (const cpu of ['200m', '1000m', '1500m', '3', '64']) {
      for (const memory of ['300Mi', '1Gi', '1500M', '8Gi']) {
        for (const c of [counts(0, 1, 0), counts(1, 1, 1), counts(4, 2, 1), counts(2, 0, 1), counts(0, 3, 0)]) {
          let b;
          try {
            b = podBudget({ cpu, memory, pods: 100 }, c);
          } catch (e) {
            expect(e).toBeInstanceOf(InputError);
            continue;
          }
          const pods = c.databases + c.appReplicas + c.appSurge + c.test;
          expect(pods * (quantityValue(b.perPod.limits.cpu) ?? Infinity)).toBeLessThanOrEqual((quantityValue(cpu) ?? 0) + 1e-9);
          expect(pods * (quantityValue(b.perPod.limits.memory) ?? Infinity)).toBeLessThanOrEqual(quantityValue(memory) ?? 0);
          expect(quantityValue(b.perPod.requests.cpu)).toBeLessThanOrEqual(quantityValue(b.perPod.limits.cpu) ?? 0);
          expect(quantityValue(b.perPod.requests.memory)).toBeLessThanOrEqual(quantityValue(b.perPod.limits.memory) ?? 0);
          expect(b.cpuMilli).toBeGreaterThanOrEqual(POD_FLOOR.cpuMilli);
          expect(b.cpuMilli).toBeLessThanOrEqual(POD_CAP.cpuMilli);
          expect(b.memoryMi).toBeGreaterThanOrEqual(POD_FLOOR.memoryMi);
          expect(b.memoryMi).toBeLessThanOrEqual(POD_CAP.memoryMi);
        }
      }
    }
  });
});

describe('podBudget: a quota that cannot hold the environment is an input error', () => {
  it.each([
    { quota: { cpu: '100m', memory: '1Gi', pods: 10 }, c: counts(1, 1, 1), says: [/^cpu-limit: '100m' is too small/, /at least 200m/, /4 pods at once \(1 database, 1 app replica, 1 rollout surge pod, 1 test pod\)/] },
    { quota: { cpu: '1', memory: '128Mi', pods: 10 }, c: counts(1, 1, 1), says: [/^memory-limit: '128Mi' is too small/, /at least 256Mi/] },
    { quota: { cpu: '1', memory: '1Gi', pods: 3 }, c: counts(1, 1, 1), says: [/^pod-limit: 3 is too small; set it to at least 4/] },
    { quota: { cpu: '1', memory: '1Gi', pods: 10 }, c: counts(0, 10, 1), says: [/pod-limit: 10 is too small; set it to at least 12/] },
    { quota: { cpu: '100m', memory: '100Mi', pods: 2 }, c: counts(2, 1, 0), says: [/pod-limit/, /cpu-limit/, /memory-limit/] },
  ])('$quota.cpu / $quota.memory / $quota.pods pods', ({ quota, c, says }) => {
    expect(() => podBudget(quota, c)).toThrow(InputError);
    for (const s of says) expect(() => podBudget(quota, c)).toThrow(s);
  });

  it('does not enforce in a long-lived namespace (no quota of ours): each pod gets at least the floor', () => {
    const b = podBudget({ cpu: '100m', memory: '100Mi', pods: 1 }, counts(2, 3, 1), false);
    expect(b.perPod.limits).toEqual({ cpu: '50m', memory: '64Mi' });
  });

  it('describes the pods in words', () => {
    expect(describePods(counts(2, 3, 1))).toBe('7 pods at once (2 databases, 3 app replicas, 1 rollout surge pod, 1 test pod)');
    expect(describePods(counts(0, 0, 0))).toBe('0 pods at once');
  });
});
