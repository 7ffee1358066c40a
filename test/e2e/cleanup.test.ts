import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, getJson, kubectl, restrictedKubeconfig } from './helpers/cluster.js';
import { FakeGitHub } from './helpers/fake-github.js';
import { runAction, type ActionRun } from './helpers/run-action.js';

/**
 * `command: cleanup` over a mix of environments: expired, unexpired with an open PR, closed and
 * merged PRs, a PR the GitHub API fails on, another repository's, one named like ours without
 * labels, and one held by a finalizer. A repository of its own keeps the sweep away from the
 * namespaces of the other tests on the shared cluster.
 */
const tag = Math.random().toString(36).slice(2, 7);
const repo = `sweep${tag}`;
const repository = `acme/${repo}`;
const repoLabel = `acme.${repo}`;
const base = 700_000 + Math.floor(Math.random() * 200_000);
const pr = {
  expired: base + 1,
  open: base + 2,
  merged: base + 3,
  closed: base + 4,
  apiError: base + 5,
  foreign: base + 6,
  unlabelled: base + 7,
  finalizer: base + 8,
  expiredOpen: base + 9,
};
const name = (n: number): string => `pr-${n}-${repo}`;
const past = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const future = new Date(Date.now() + 3 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function namespaceYaml(n: number, o: { expires?: string; repoLabel?: string; labels?: boolean } = {}): string {
  const labels =
    o.labels === false
      ? ''
      : `  labels:\n    app.kubernetes.io/managed-by: kube-ephemeral\n    kube-ephemeral.io/repo: ${o.repoLabel ?? repoLabel}\n    kube-ephemeral.io/pr: "${n}"\n`;
  const annotations = o.expires ? `  annotations:\n    kube-ephemeral.io/expires-at: "${o.expires}"\n` : '';
  return `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name(n)}\n${labels}${annotations}`;
}

const gh = new FakeGitHub();
const all = Object.values(pr).map(name);

const sweep = (extra: Record<string, string> = {}): Promise<ActionRun> =>
  runAction({
    inputs: { command: 'cleanup', kubeconfig: restrictedKubeconfig(), 'github-token': 'ghs_fake_sweep', timeout: '20s', ...extra },
    eventName: 'schedule',
    repository,
    apiUrl: gh.url,
  });

interface Entry {
  namespace: string;
  reason: string;
  kind?: string;
  blockers?: string[];
}
const names = (entries: unknown): string[] => ((entries ?? []) as Entry[]).map((e) => e.namespace).sort();

beforeAll(async () => {
  await gh.start();
  gh.pulls.set(pr.open, { state: 'open', merged: false });
  gh.pulls.set(pr.merged, { state: 'closed', merged: true });
  gh.pulls.set(pr.closed, { state: 'closed', merged: false });
  gh.pulls.set(pr.finalizer, { state: 'open', merged: false });
  gh.pulls.set(pr.expiredOpen, { state: 'open', merged: false });
  gh.fail('GET', new RegExp(`/pulls/${pr.apiError}$`), 502);
  // The GitHub Deployments of two environments: the deleted one's becomes inactive, the kept one's stays.
  for (const [id, n] of [[1, pr.merged], [2, pr.open]] as const) {
    gh.deployments.push({ id, environment: `pr-${n}`, ref: 'feature', sha: 'a'.repeat(40), statuses: [{ id: 10 + id, state: 'success' }] });
  }
  const docs = [
    namespaceYaml(pr.expired, { expires: past }),
    namespaceYaml(pr.open, { expires: future }),
    namespaceYaml(pr.merged, { expires: future }),
    namespaceYaml(pr.closed, { expires: future }),
    namespaceYaml(pr.apiError, { expires: future }),
    namespaceYaml(pr.foreign, { expires: past, repoLabel: `acme.other${tag}` }),
    namespaceYaml(pr.unlabelled, { labels: false }),
    namespaceYaml(pr.finalizer, { expires: past }),
    namespaceYaml(pr.expiredOpen, { expires: past }),
  ];
  await kubectl(['apply', '-f', '-'], { input: docs.join('---\n') });
  // A ConfigMap whose finalizer no controller will ever remove keeps its namespace in Terminating.
  await kubectl(['create', 'configmap', 'held', '-n', name(pr.finalizer), '--from-literal=a=b']);
  await kubectl(['patch', 'configmap', 'held', '-n', name(pr.finalizer), '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/block"]}}']);
});

afterAll(async () => {
  await kubectl(['patch', 'configmap', 'held', '-n', name(pr.finalizer), '--type=merge', '-p', '{"metadata":{"finalizers":null}}'], { allowFail: true });
  await kubectl(['delete', 'namespace', ...all, '--ignore-not-found', '--wait=false'], { allowFail: true });
  await gh.stop();
});

describe('cleanup', () => {
  it('a dry run lists what it would delete and deletes nothing', async () => {
    const run = await sweep({ 'dry-run': 'true' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(names(run.result?.wouldDelete)).toEqual([name(pr.expired), name(pr.merged), name(pr.closed), name(pr.finalizer), name(pr.expiredOpen)].sort());
    expect(names(run.result?.deleted)).toEqual([]);
    for (const ns of all) {
      const obj = await getJson<{ metadata: { deletionTimestamp?: string } }>(['get', 'namespace', ns]);
      expect(obj.metadata.deletionTimestamp, `${ns} must not be deleting after a dry run`).toBeUndefined();
    }
    expect(run.summary).toContain('Sweep (dry run): 5 would be deleted');
  });

  it('deletes exactly the expired and closed-PR environments of this repository; a finalizer is reported and the sweep goes on', async () => {
    gh.requests.length = 0;
    const run = await sweep();
    const r = run.result as Record<string, unknown> & { status: string };
    // The stuck namespace fails the step, at the end.
    expect(run.exitCode, run.stdout).toBe(1);
    expect(r.status).toBe('failure');
    expect(names(r.deleted)).toEqual([name(pr.expired), name(pr.merged), name(pr.closed), name(pr.expiredOpen)].sort());
    expect(names(r.failed)).toEqual([name(pr.finalizer)]);
    expect(names(r.kept)).toEqual([name(pr.open), name(pr.apiError), name(pr.foreign), name(pr.unlabelled)].sort());

    const byName = (list: unknown, n: number): Entry | undefined => ((list ?? []) as Entry[]).find((e) => e.namespace === name(n));
    expect(byName(r.deleted, pr.expired)?.reason).toMatch(/^expired at .* \(1h ago\)$/);
    expect(byName(r.deleted, pr.merged)?.reason).toMatch(/^PR #\d+ is merged/);
    expect(byName(r.deleted, pr.closed)?.reason).toMatch(/^PR #\d+ is closed/);
    expect(byName(r.kept, pr.open)?.reason).toMatch(/^PR #\d+ is open; expires at/);
    expect(byName(r.kept, pr.apiError)?.reason).toMatch(/the state of PR #\d+ is unknown \(GitHub answered 502.*\), and an API error never deletes anything/);
    expect(byName(r.kept, pr.foreign)?.reason).toMatch(new RegExp(`belongs to another repository \\(kube-ephemeral.io/repo=acme.other${tag}\\)`));
    expect(byName(r.kept, pr.unlabelled)?.reason).toMatch(/lacks the label app.kubernetes.io\/managed-by=kube-ephemeral/);
    const stuck = byName(r.failed, pr.finalizer);
    expect(stuck?.reason).toMatch(/stuck in Terminating after 20 s; left for the next sweep/);
    expect(stuck?.blockers).toEqual(
      expect.arrayContaining(['configmap/held has finalizers example.com/block', expect.stringMatching(/^NamespaceFinalizersRemaining: .*example.com\/block in 1 resource instances/)]),
    );

    // In the cluster: exactly those are gone, the rest untouched, the stuck one Terminating.
    for (const n of [pr.expired, pr.merged, pr.closed, pr.expiredOpen]) expect(await exists(['namespace', name(n)]), name(n)).toBe(false);
    for (const n of [pr.open, pr.apiError, pr.foreign, pr.unlabelled]) {
      const obj = await getJson<{ metadata: { deletionTimestamp?: string } }>(['get', 'namespace', name(n)]);
      expect(obj.metadata.deletionTimestamp, name(n)).toBeUndefined();
    }
    expect((await getJson<{ status: { phase: string } }>(['get', 'namespace', name(pr.finalizer)])).status.phase).toBe('Terminating');

    // GitHub was asked about each PR that could decide something (not about expired ones), once
    // (the 502 is retried by the client).
    const asked = gh.requests.filter((q) => q.method === 'GET' && q.path.includes('/pulls/')).map((q) => Number(q.path.split('/').pop()));
    expect([...new Set(asked)].sort()).toEqual([pr.open, pr.merged, pr.closed, pr.apiError].sort());
    for (const n of [pr.open, pr.merged, pr.closed]) expect(asked.filter((x) => x === n)).toHaveLength(1);
    expect(gh.requests.every((q) => q.path.startsWith(`/repos/${repository}/`))).toBe(true);

    // The deleted environment's GitHub Deployment is inactive now; the kept one's is untouched.
    expect(gh.deployments.find((d) => d.id === 1)?.statuses.at(-1)?.state).toBe('inactive');
    expect(gh.deployments.find((d) => d.id === 2)?.statuses.map((x) => x.state)).toEqual(['success']);

    // Reported where a person looks: the error annotation, warnings, the summary.
    expect(run.lines.find((l) => l.startsWith('::error'))).toMatch(new RegExp(`cleanup: 1 of 5 deletion\\(s\\) failed: ${name(pr.finalizer)} \\(stuck in Terminating.*configmap/held has finalizers example.com/block\\)`));
    expect(run.lines.some((l) => l.startsWith('::warning') && l.includes(name(pr.unlabelled)))).toBe(true);
    expect(run.summary).toContain('Sweep: 4 deleted, 4 kept, 1 failed');
    expect(run.summary).toContain('configmap/held has finalizers example.com/block');
  });

  it('the next sweep re-checks a Terminating environment and sees it go once its finalizer is removed', async () => {
    await kubectl(['patch', 'configmap', 'held', '-n', name(pr.finalizer), '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    const run = await sweep({ timeout: '60s' });
    expect(run.exitCode, run.stdout).toBe(0);
    const deleted = (run.result?.deleted ?? []) as Entry[];
    expect(deleted.map((d) => d.namespace)).toEqual([name(pr.finalizer)]);
    expect(deleted[0]?.reason).toMatch(/^already Terminating since .*; checked again$/);
    expect(await exists(['namespace', name(pr.finalizer)])).toBe(false);
  });
});
