import { describe, expect, it } from 'vitest';
import { decideSweep, liveLocks, looksLikeOurs, otherRepositories, pullsToCheck, roughly, type PullState, type SweepInput } from '../../src/environment/sweep.js';
import type { Namespace } from '../../src/kube/types.js';
import { environmentNamespace } from '../../src/environment/naming.js';

const owner = { repository: 'acme/shop', repoLabel: 'acme.shop' };
const now = Date.parse('2026-11-23T10:00:00Z');
const past = '2026-11-23T09:00:00Z';
const future = '2026-11-23T12:00:00Z';

function ns(name: string, o: { repo?: string | null; pr?: number; expires?: string; managed?: boolean; terminating?: boolean } = {}): Namespace {
  const labels: Record<string, string> = {};
  if (o.managed !== false) labels['app.kubernetes.io/managed-by'] = 'kube-ephemeral';
  if (o.repo !== null) labels['kube-ephemeral.io/repo'] = o.repo ?? 'acme.shop';
  if (o.pr !== undefined) labels['kube-ephemeral.io/pr'] = String(o.pr);
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '42',
      labels,
      annotations: o.expires ? { 'kube-ephemeral.io/expires-at': o.expires } : {},
      ...(o.terminating ? { deletionTimestamp: '2026-11-23T09:30:00Z' } : {}),
    },
  };
}

function input(namespaces: Namespace[], extra: Partial<SweepInput> = {}): SweepInput {
  return {
    namespaces,
    owner,
    repository: { owner: 'acme', repo: 'shop' },
    namespacePrefix: 'pr',
    nowMs: now,
    checkPulls: true,
    pulls: new Map(),
    locks: new Map(),
    ...extra,
  };
}

describe('decideSweep', () => {
  const pulls = new Map<number, PullState>([
    [1, { state: 'open', merged: false }],
    [2, { state: 'closed', merged: true }],
    [3, { state: 'closed', merged: false }],
    [4, { error: 'GitHub answered 502 Bad Gateway' }],
  ]);
  const all = [
    ns('pr-1-shop', { pr: 1, expires: future }),
    ns('pr-2-shop', { pr: 2, expires: future }),
    ns('pr-3-shop', { pr: 3, expires: future }),
    ns('pr-4-shop', { pr: 4, expires: future }),
    ns('pr-5-shop', { pr: 5, expires: past }),
    ns('pr-6-shop', { pr: 6, expires: future, repo: 'acme.other' }),
    ns('pr-7-shop', { managed: false, repo: null }),
    ns('pr-8-shop', { pr: 8, expires: past, terminating: true }),
    ns('pr-9-shop', { pr: 9 }),
    ns('kube-system', { managed: false, repo: null }),
    ns('pr-10-other', { managed: false, repo: null }),
    ns('pr-11-shop', { pr: 11, expires: past, repo: 'acme.other' }),
    ns('pr-12-other', { pr: 12, expires: past, repo: 'acme.other' }),
  ];

  it.each([
    ['pr-1-shop', 'keep', /PR #1 is open; expires at 2026-11-23T12:00:00Z \(in 2h\)/],
    ['pr-2-shop', 'delete', /PR #2 is merged/],
    ['pr-3-shop', 'delete', /PR #3 is closed/],
    ['pr-4-shop', 'keep', /state of PR #4 is unknown \(GitHub answered 502 Bad Gateway\), and an API error never deletes anything/],
    ['pr-5-shop', 'delete', /expired at 2026-11-23T09:00:00Z \(1h ago\)/],
    ['pr-6-shop', 'keep', /belongs to another repository \(kube-ephemeral.io\/repo=acme.other\)/],
    ['pr-7-shop', 'keep', /lacks the label app.kubernetes.io\/managed-by=kube-ephemeral: not created by kube-ephemeral, left alone/],
    ['pr-8-shop', 'recheck', /already Terminating since 2026-11-23T09:30:00Z/],
    ['pr-9-shop', 'keep', /has no expires-at annotation, so it never expires; PR #9 was not checked/],
    ['pr-11-shop', 'keep', /another repository/],
  ])('%s: %s', (name, action, reason) => {
    const v = decideSweep(input(all, { pulls })).find((x) => x.namespace === name);
    expect(v?.action).toBe(action);
    expect(v?.reason).toMatch(reason);
  });

  it('ignores namespaces that are not ours and not named like ours (other repositories are only counted), and sorts by name', () => {
    const names = decideSweep(input(all, { pulls })).map((v) => v.namespace);
    expect(names).not.toContain('kube-system');
    expect(names).not.toContain('pr-10-other');
    expect(names).not.toContain('pr-12-other');
    expect(otherRepositories(input(all))).toBe(1);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it('deletes with the uid and resourceVersion it judged (preconditions)', () => {
    const v = decideSweep(input([ns('pr-5-shop', { pr: 5, expires: past })])).find((x) => x.action === 'delete');
    expect(v).toMatchObject({ uid: 'uid-pr-5-shop', resourceVersion: '42', pr: 5 });
  });

  it('without a github-token only expiry decides, and closed PRs are not asked about', () => {
    const i = input(all, { checkPulls: false, pulls });
    expect(pullsToCheck(i)).toEqual([]);
    const v = decideSweep(i);
    expect(v.find((x) => x.namespace === 'pr-2-shop')).toMatchObject({ action: 'keep', reason: expect.stringMatching(/PR state not checked \(no github-token\)/) });
    expect(v.filter((x) => x.action === 'delete').map((x) => x.namespace)).toEqual(['pr-5-shop']);
  });

  it('asks GitHub once per distinct PR, only for our live unexpired namespaces', () => {
    const twice = [...all, ns('pr-1-shop-copy', { pr: 1, expires: future })];
    expect(pullsToCheck(input(twice))).toEqual([1, 2, 3, 4, 9]);
  });

  it('keeps an expired environment whose up is still running (live lock)', () => {
    const holder = { intent: 'up' as const, runId: '77', runAttempt: '1', sha: 'abcdef1234', runUrl: 'https://github.example/acme/shop/actions/runs/77' };
    const locks = liveLocks([{ namespace: 'pr-5-shop', holder, live: true, expiresAtMs: now + 20_000 }]);
    const v = decideSweep(input([ns('pr-5-shop', { pr: 5, expires: past })], { locks }))[0];
    expect(v).toMatchObject({ action: 'keep', kind: 'running' });
    expect(v?.reason).toMatch(/run 77 \(head SHA abcdef1\) is working in it right now \(https:\/\/github.example\/acme\/shop\/actions\/runs\/77\)/);
    // a down holding it, or a dead lock, does not keep it
    const down = liveLocks([{ namespace: 'pr-5-shop', holder: { ...holder, intent: 'down' }, live: true, expiresAtMs: now + 20_000 }]);
    expect(decideSweep(input([ns('pr-5-shop', { pr: 5, expires: past })], { locks: down }))[0]?.action).toBe('delete');
    expect(liveLocks([{ namespace: 'pr-5-shop', holder, live: false, expiresAtMs: now - 1 }]).size).toBe(0);
  });
});

describe('looksLikeOurs', () => {
  it.each([
    ['pr-7-shop', true],
    ['pr-7-shop-x', false],
    ['pr-0-shop', false],
    ['preview-7-shop', false],
    ['pr-7-other', false],
  ])('%s -> %s', (name, expected) => {
    expect(looksLikeOurs(name, 'pr', { owner: 'acme', repo: 'shop' })).toBe(expected);
  });
  it('recognises the hashed form of a long repository name, and not a cut without the hash', () => {
    const repo = 'a-very-long-repository-name-that-does-not-fit-in-sixty-three-characters';
    const name = environmentNamespace('pr', 12, 'acme', repo);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(looksLikeOurs(name, 'pr', { owner: 'acme', repo })).toBe(true);
    expect(looksLikeOurs(name, 'pr', { owner: 'other', repo })).toBe(false);
    expect(looksLikeOurs(name.slice(0, -7), 'pr', { owner: 'acme', repo })).toBe(false);
  });
});

describe('roughly', () => {
  it.each([
    [30_000, '<1m'],
    [12 * 60_000, '12m'],
    [125 * 60_000, '2h 5m'],
    [26 * 3600_000, '1d 2h'],
    [2 * 86_400_000, '2d'],
  ])('%d ms -> %s', (ms, text) => expect(roughly(ms)).toBe(text));
});
