import { describe, expect, it } from 'vitest';
import {
  HOLDER_ANNOTATION,
  LEASE_SECONDS,
  TAKEOVER_ANNOTATION,
  acquirePatch,
  compareRuns,
  decideLock,
  holdProblem,
  identity,
  leftAloneMessage,
  microTime,
  newLease,
  releasePatch,
  stopMessage,
  viewLease,
  waitMessage,
  type Claim,
  type Intent,
  type Lease,
} from '../../src/environment/lease.js';

const now = Date.parse('2026-11-23T10:00:00Z');
const claim = (intent: Intent, runId: string, sha = `sha${runId}`, runAttempt = '1'): Claim => ({
  intent,
  runId,
  runAttempt,
  sha: sha.padEnd(40, '0'),
  runUrl: `https://github.example/acme/shop/actions/runs/${runId}`,
});

/** A Lease held by `holder` (renewed `ageS` seconds ago), or released (holder kept as the last one). */
function lease(holder: Claim | undefined, o: { ageS?: number; released?: boolean; takeover?: Claim; rv?: string } = {}): Lease {
  const l = newLease('pr-7-shop', {}, holder ?? claim('up', '1'), now - (o.ageS ?? 0) * 1000);
  l.metadata = { ...l.metadata, resourceVersion: o.rv ?? '100', annotations: { ...l.metadata?.annotations } };
  if (!holder) delete l.metadata.annotations?.[HOLDER_ANNOTATION];
  if (o.released && l.spec) delete l.spec.holderIdentity;
  if (o.takeover) (l.metadata.annotations as Record<string, string>)[TAKEOVER_ANNOTATION] = JSON.stringify(o.takeover);
  return l;
}

const decide = (l: Lease | undefined, me: Claim): string => {
  const d = decideLock(viewLease(l, now), me);
  return 'why' in d ? `${d.kind}:${d.why}` : d.kind;
};

describe('run order', () => {
  it('a larger run id is newer; the same run: a larger attempt', () => {
    expect(compareRuns({ runId: '10000000001', runAttempt: '1' }, { runId: '9999999999', runAttempt: '5' })).toBe(1);
    expect(compareRuns({ runId: '5', runAttempt: '2' }, { runId: '5', runAttempt: '1' })).toBe(1);
    expect(compareRuns({ runId: '5', runAttempt: '1' }, { runId: '5', runAttempt: '1' })).toBe(0);
    expect(compareRuns({ runId: '4', runAttempt: '9' }, { runId: '5', runAttempt: '1' })).toBe(-1);
  });
  it('MicroTime has six fraction digits', () => {
    expect(microTime(Date.parse('2026-11-23T10:00:00.123Z'))).toBe('2026-11-23T10:00:00.123000Z');
  });
});

describe('viewLease', () => {
  it('is live until renewTime + leaseDurationSeconds, and keeps the last holder after release', () => {
    expect(viewLease(lease(claim('up', '5'), { ageS: LEASE_SECONDS - 1 }), now)?.live).toBe(true);
    expect(viewLease(lease(claim('up', '5'), { ageS: LEASE_SECONDS + 1 }), now)?.live).toBe(false);
    const released = viewLease(lease(claim('up', '5'), { released: true }), now);
    expect(released).toMatchObject({ live: false, holderIdentity: '', holder: { runId: '5', intent: 'up' } });
  });
  it('trusts holderIdentity over a stale annotation', () => {
    const l = lease(claim('up', '5'));
    if (l.spec) l.spec.holderIdentity = 'down/9/1';
    expect(viewLease(l, now)?.holder).toMatchObject({ intent: 'down', runId: '9', runAttempt: '1' });
  });
});

describe('decideLock', () => {
  const older = claim('up', '100', 'aaa');
  const newer = claim('up', '200', 'bbb');
  const down = claim('down', '300');
  it.each<[string, Lease | undefined, Claim, string]>([
    ['no lease: create it', undefined, newer, 'create'],
    ['held by me', lease(newer), newer, 'mine'],
    ['free lease, last holder older: take it', lease(older, { released: true }), newer, 'acquire'],
    ['expired holder (crashed), older: take it', lease(older, { ageS: 120 }), newer, 'acquire'],
    ['older run held by a live older: ask it to stop', lease(older), newer, 'request'],
    ['already asked: wait for it', lease(older, { takeover: newer }), newer, 'wait:asked to stop'],
    ['a newer run holds: the older stops', lease(newer), older, 'yield:holds'],
    ['a newer run held it (released): the older stops', lease(newer, { released: true }), older, 'yield:deployed'],
    ['a newer run held it and crashed: the older still stops', lease(newer, { ageS: 120 }), older, 'yield:deployed'],
    ['a newer run is taking over from the holder: the older waiting one stops', lease(claim('up', '50'), { takeover: newer }), older, 'yield:takes over'],
    ['an even newer run overrides an older request', lease(older, { takeover: newer }), claim('up', '250'), 'request'],
    ['down holds: up stops (down always wins)', lease(down), newer, 'yield:deletes'],
    ['down asked to take over: up stops', lease(older, { takeover: down }), newer, 'yield:takes over'],
    ['a post step is deleting: up waits for the namespace to go', lease(claim('post', '90')), newer, 'wait:its post step is deleting the namespace'],
    ['down vs a live up: ask it to stop', lease(newer), down, 'request'],
    ['down vs a newer request by an up: still asks', lease(older, { takeover: newer }), down, 'request'],
    ['down vs another down: wait', lease(claim('down', '299')), down, 'wait:another down is deleting it'],
    ['down, free lease: take it', lease(newer, { released: true }), down, 'acquire'],
    ['post of the run that held it: take it', lease(older, { released: true }), claim('post', '100'), 'acquire'],
    ['post of a run whose main crashed while holding: take it', lease(older), claim('post', '100'), 'acquire'],
    ['post while another run holds: leave it', lease(newer), claim('post', '100'), 'yield:holds'],
    ['post after a newer run deployed: leave it', lease(newer, { released: true }), claim('post', '100'), 'yield:deployed'],
    ['post of the newest run after an older one: take it', lease(older, { released: true }), claim('post', '200'), 'acquire'],
  ])('%s', (_name, l, me, expected) => {
    expect(decide(l, me)).toBe(expected);
  });
});

describe('holdProblem', () => {
  const me = claim('up', '100', 'aaa');
  it('keeps going while the lease is mine and nobody newer asks', () => {
    expect(holdProblem(lease(me), me, now)).toBeUndefined();
    expect(holdProblem(lease(me, { takeover: claim('up', '50') }), me, now)).toBeUndefined();
  });
  it('stops for a newer up, a down, a lost lease, a deleted lease', () => {
    expect(holdProblem(lease(me, { takeover: claim('up', '200') }), me, now)?.why).toBe('takes over');
    expect(holdProblem(lease(me, { takeover: claim('down', '50') }), me, now)?.by?.intent).toBe('down');
    expect(holdProblem(lease(claim('up', '300')), me, now)?.why).toBe('took over');
    expect(holdProblem(undefined, me, now)?.why).toBe('lease deleted');
  });
  it('nothing stops a down', () => {
    const d = claim('down', '100');
    expect(holdProblem(lease(d, { takeover: claim('up', '999') }), d, now)).toBeUndefined();
    expect(holdProblem(undefined, d, now)).toBeUndefined();
  });
});

describe('patches and messages', () => {
  it('acquire carries the resourceVersion, counts a transition and clears its own request', () => {
    const me = claim('up', '200');
    const p = acquirePatch(viewLease(lease(claim('up', '100'), { released: true, takeover: me, rv: '321' }), now)!, me, now) as {
      metadata: { resourceVersion: string; annotations: Record<string, string | null> };
      spec: { holderIdentity: string; leaseTransitions: number; leaseDurationSeconds: number };
    };
    expect(p.metadata.resourceVersion).toBe('321');
    expect(p.metadata.annotations[TAKEOVER_ANNOTATION]).toBeNull();
    expect(JSON.parse(p.metadata.annotations[HOLDER_ANNOTATION] ?? '{}')).toMatchObject({ intent: 'up', runId: '200', runUrl: me.runUrl });
    expect(p.spec).toMatchObject({ holderIdentity: identity(me), leaseTransitions: 1, leaseDurationSeconds: LEASE_SECONDS });
    expect(releasePatch(viewLease(lease(me, { rv: '7' }), now)!)).toEqual({ metadata: { resourceVersion: '7' }, spec: { holderIdentity: null } });
  });
  it('say who, with the run URL', () => {
    const me = claim('up', '100', 'aaaaaaa111');
    const by = claim('up', '200', 'bbbbbbb222');
    expect(stopMessage('pr-7-shop', me, by, 'takes over')).toBe(
      'superseded: run 200 (attempt 1, head SHA bbbbbbb) https://github.example/acme/shop/actions/runs/200 is newer and takes over pr-7-shop; this run (head SHA aaaaaaa) stops cleanly and leaves the environment to it',
    );
    expect(stopMessage('pr-7-shop', me, claim('down', '300'), 'takes over')).toMatch(/^run 300 \(attempt 1, down\) .* is deleting pr-7-shop \(down always wins over up\); this run/);
    expect(waitMessage('pr-7-shop', me, 'asked to stop', now)).toBe(
      'waiting for run 100 (attempt 1, head SHA aaaaaaa) https://github.example/acme/shop/actions/runs/100, which holds the environment lock of pr-7-shop (asked to stop); its lease expires at 2026-11-23T10:00:00.000Z unless renewed',
    );
    expect(leftAloneMessage('pr-7-shop', by, 'deployed')).toMatch(/^namespace pr-7-shop is left alone: run 200 .* is newer and has deployed it since$/);
  });
});
