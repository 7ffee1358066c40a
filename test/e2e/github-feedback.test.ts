import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criLog, registerPodLogs, unregisterPodLogs } from './cluster-tools.js';
import { deleteNamespaces, exists, getJson, restrictedKubeconfig } from './helpers/cluster.js';
import { FakeGitHub, type RecordedRequest } from './helpers/fake-github.js';
import { pullRequestEvent, runAction, runMainAndPost, type ActionRun } from './helpers/run-action.js';

const fake = new FakeGitHub();
const used: string[] = [];
let nextPr = 100 + Math.floor(Math.random() * 800_000);
function pr(): { number: number; ns: string } {
  const number = nextPr++;
  const ns = `pr-${number}-shop`;
  used.push(ns);
  return { number, ns };
}

const SHA = 'beef'.padEnd(40, '0');
/** GitHub's run ids only grow; a later run here gets a larger one, as it would there. */
let nextRunId = 1_000_000 + Math.floor(Math.random() * 1_000_000) * 1000;
const run = (number: number, extra: Record<string, string> = {}) => ({
  inputs: { kubeconfig: restrictedKubeconfig(), 'github-token': 'ghs_fake_t0ken', ...extra },
  event: pullRequestEvent({ number, sha: SHA }),
  apiUrl: fake.url,
  runId: String(nextRunId++),
});

const errors = (r: ActionRun): string[] => r.lines.filter((l) => l.startsWith('::error'));
const warnings = (r: ActionRun): string[] => r.lines.filter((l) => l.startsWith('::warning'));
const forPr = (n: number) => (r: RecordedRequest): boolean => r.path.includes(`/issues/${n}/`);
const deploymentsOf = (n: number) => fake.deployments.filter((d) => d.environment === `pr-${n}`);
const statesOf = (n: number): string[][] => deploymentsOf(n).map((d) => d.statuses.map((s) => s.state));

/** Tags of the summary are balanced and only ours; nothing from the cluster came through raw. */
function tagProblems(html: string): string[] {
  const ours = new Set(['h2', 'h3', 'p', 'strong', 'em', 'table', 'tr', 'th', 'td', 'details', 'summary', 'pre']);
  const stack: string[] = [];
  const problems: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>/g)) {
    const tag = (m[2] ?? '').toLowerCase();
    if (!ours.has(tag)) problems.push(`unexpected tag ${m[0]}`);
    else if (!m[1]) stack.push(tag);
    else if (stack.pop() !== tag) problems.push(`misnested ${m[0]}`);
  }
  if (stack.length) problems.push(`left open: ${stack.join(',')}`);
  return problems;
}

beforeAll(async () => {
  await fake.start();
});

afterAll(async () => {
  await fake.stop();
  await deleteNamespaces(...used);
});

describe('GitHub feedback of up / down', () => {
  it('two runs of up: one comment created, then edited; a deployment per run; Ingress URL everywhere; post marks it gone', async () => {
    const { number, ns } = pr();
    const inputs = { 'app-image': 'ghcr.io/acme/shop:1', 'ingress-host': 'pr-{pr}.preview.example.com' };
    const url = `https://pr-${number}.preview.example.com`;

    const first = await runAction(run(number, { ...inputs, 'on-success': 'keep' }));
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs['app-url']).toBe(url);
    const ingress = await getJson<{ spec: { rules: { host: string; http: { paths: { backend: { service: { name: string; port: { number: number } } } }[] } }[] } }>([
      'get',
      'ingress',
      'app',
      '-n',
      ns,
    ]);
    expect(ingress.spec.rules[0]?.host).toBe(`pr-${number}.preview.example.com`);
    expect(ingress.spec.rules[0]?.http.paths[0]?.backend.service).toEqual({ name: 'app', port: { number: 8000 } });
    expect(warnings(first)).toEqual([]);

    const afterFirst = fake.comments.get(number) ?? [];
    expect(afterFirst).toHaveLength(1);
    const body = afterFirst[0]?.body ?? '';
    expect(body.split('\n')[0]).toBe(`<!-- kube-ephemeral:${ns} -->`);
    expect(body).toContain('### ✅ Ready');
    expect(body).toContain(`| **App** | [${url}](${url}) |`);
    expect(body).toMatch(/\| \*\*Environment\*\* \| kept until 20\d\d-[^|]+Z \(renewed by every run\), then deleted by cleanup \|/);
    expect(body).toMatch(/\| \*\*Run\*\* \| \[run \d+\]\(https:\/\/github\.example\/acme\/shop\/actions\/runs\/\d+\) \|/);
    expect(first.summary).toContain('<h3>Quota used</h3>');
    expect(first.summary).toMatch(/<tr><td>pods<\/td><td>1<\/td><td>10<\/td><\/tr>/);
    expect(first.summary).toContain(`<tr><td>App URL</td><td>${url}</td></tr>`);

    const second = await runMainAndPost(run(number, inputs));
    expect(second.main.exitCode, second.main.stdout).toBe(0);
    expect(second.post.exitCode).toBe(0);
    expect(await exists(['namespace', ns])).toBe(false);

    const commentCalls = fake.requests.filter(forPr(number)).filter((r) => r.method !== 'GET');
    expect(commentCalls.map((r) => r.method)).toEqual(['POST']); // the only create...
    const patches = fake.requests.filter((r) => r.method === 'PATCH' && afterFirst.some((c) => r.path.endsWith(`/issues/comments/${c.id}`)));
    expect(patches).toHaveLength(4); // ...then edits: end of run 1, start and end of run 2, post
    expect(fake.comments.get(number)).toHaveLength(1);
    const last = fake.comments.get(number)?.[0]?.body ?? '';
    expect(last).toContain('### 🗑️ Deleted');
    expect(last).toContain('deleted when the job ended (post step)');

    expect(deploymentsOf(number).map((d) => [d.ref, d.transient_environment, d.production_environment])).toEqual([
      [SHA, true, false],
      [SHA, true, false],
    ]);
    expect(statesOf(number)).toEqual([
      ['in_progress', 'success', 'inactive'],
      ['in_progress', 'success', 'inactive'],
    ]);
    const success = deploymentsOf(number)[1]?.statuses[1];
    expect(success?.environment_url).toBe(url);
    expect(success?.log_url).toMatch(/^https:\/\/github\.example\/acme\/shop\/actions\/runs\/\d+$/);
    const created = fake.requests.find((r) => r.method === 'POST' && r.path === '/repos/acme/shop/deployments' && (r.body as { environment?: string }).environment === `pr-${number}`);
    expect(created?.body).toMatchObject({ auto_merge: false, required_contexts: [], transient_environment: true, production_environment: false });
    expect(created?.authorization).toBe('token ghs_fake_t0ken');
  });

  it('a failing rollout: deployment failure, the comment gives the cause, one error annotation', async () => {
    const { number } = pr();
    const failed = await runMainAndPost(run(number, { 'app-image': 'local/app:bad-image', timeout: '90s' }));
    expect(failed.main.exitCode).toBe(1);
    expect(errors(failed.main)).toHaveLength(1);
    expect(errors(failed.main)[0]).toMatch(/ImagePullBackOff/);
    expect(statesOf(number)).toEqual([['in_progress', 'failure', 'inactive']]);
    expect(deploymentsOf(number)[0]?.statuses[1]?.description).toMatch(/ImagePullBackOff/);
    expect(deploymentsOf(number)[0]?.statuses[1]?.description?.length).toBeLessThanOrEqual(140);
    const comments = fake.comments.get(number) ?? [];
    expect(comments).toHaveLength(1);
    // The main run's final comment (the post step then said "deleted").
    const final = fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/issues/comments/${comments[0]?.id}`)).map((r) => (r.body as { body: string }).body);
    expect(final[0]).toContain('### ❌ Failed');
    expect(final[0]).toMatch(/> \*\*Cause:\*\* .*ImagePullBackOff/);
    expect(failed.main.summary).toContain('<details open><summary>What went wrong');
    expect(tagProblems(failed.main.summary)).toEqual([]);
  });

  it('a failing test Job with 2 MiB of HTML-laden log: summary escaped, valid, under the limit; test result in comment', async () => {
    const { number, ns } = pr();
    const dir = mkdtempSync(join(tmpdir(), 'ke-gh-'));
    const file = join(dir, 'pod.log');
    const hostile = ['<script>alert(1)</script>', '</pre></details><h1>pwned</h1>', '<!-- open comment', '| a | b |', '&amp; done', ''];
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 2 * 1024 * 1024; i++) {
      const l = `${String(i).padStart(6, '0')} ${hostile[i % hostile.length]} ${'x'.repeat(i % 50)}`;
      lines.push(l);
      size += l.length + 1;
    }
    lines.push('FINAL <b>line</b>');
    writeFileSync(file, criLog(lines));
    await registerPodLogs(ns, file);
    try {
      const r = await runMainAndPost(run(number, { 'test-image': 'local/test:fail', 'test-command': 'npm test' }), { timeoutMs: 300_000 });
      expect(r.main.exitCode).toBe(1);
      expect(r.main.outputs['test-result']).toBe('failed');
      expect(errors(r.main)).toHaveLength(1);
      const summary = r.main.summary;
      expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024);
      expect(tagProblems(summary)).toEqual([]);
      expect(summary).not.toMatch(/\n\s*\n/);
      expect(summary).toContain('FINAL &lt;b&gt;line&lt;/b&gt;');
      expect(summary).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(summary).toMatch(/<summary>Test job test-\d+-1\S*: last log lines of pod \S+ \(\d+ lines\)<\/summary>/);
      expect(summary).toContain('<tr><td>Tests</td><td>❌ failed (exit code 1)</td></tr>');
      const comments = fake.comments.get(number) ?? [];
      const final = fake.requests.filter((q) => q.method === 'PATCH' && q.path.endsWith(`/issues/comments/${comments[0]?.id}`)).map((q) => (q.body as { body: string }).body);
      expect(final[0]).toContain('| **Tests** | ❌ failed (exit code 1) |');
      expect(statesOf(number)).toEqual([['in_progress', 'failure', 'inactive']]);
    } finally {
      await unregisterPodLogs(ns);
    }
  });

  it('down: the deployments become inactive and the comment says deleted', async () => {
    const { number, ns } = pr();
    const up = await runAction(run(number, { 'on-success': 'keep' }));
    expect(up.exitCode, up.stdout).toBe(0);
    const down = await runAction(run(number, { command: 'down' }));
    expect(down.exitCode, down.stdout).toBe(0);
    expect(await exists(['namespace', ns])).toBe(false);
    expect(statesOf(number)).toEqual([['in_progress', 'success', 'inactive']]);
    const body = fake.comments.get(number)?.[0]?.body ?? '';
    expect(body).toContain('### 🗑️ Deleted');
    expect(body).toContain('namespace deleted by down');
    expect(fake.comments.get(number)).toHaveLength(1);
  });

  it('no github-token: one warning and no request; comment/github-deployment false: neither', async () => {
    const { number } = pr();
    const before = fake.requests.length;
    const bare = await runAction(run(number, { 'github-token': '', 'app-image': 'ghcr.io/acme/shop:1', 'on-success': 'keep' }));
    expect(bare.exitCode, bare.stdout).toBe(0);
    expect(warnings(bare)).toEqual([expect.stringMatching(/github-token is empty: no PR comment and no GitHub Deployment for pr-\d+-shop/)]);
    const off = await runAction(run(number, { comment: 'false', 'github-deployment': 'false', 'app-image': 'ghcr.io/acme/shop:1', 'on-success': 'keep' }));
    expect(off.exitCode, off.stdout).toBe(0);
    expect(warnings(off)).toEqual([]);
    expect(fake.requests.length).toBe(before);
  });

  it('a read-only token (403 from the comments and deployments API): the step stays green with warnings', async () => {
    const { number } = pr();
    fake.fail('POST', new RegExp(`/issues/${number}/comments$`), 403);
    fake.fail('POST', /\/deployments$/, 403, 1);
    try {
      const r = await runMainAndPost(run(number, { 'app-image': 'ghcr.io/acme/shop:1' }));
      expect(r.main.exitCode, r.main.stdout).toBe(0);
      expect(r.main.outputs.namespace).toMatch(/^pr-\d+-shop$/);
      expect(r.main.result?.status).toBe('success');
      expect(errors(r.main)).toEqual([]);
      const w = warnings(r.main);
      expect(w).toHaveLength(2);
      expect(w.find((l) => l.includes('PR comment skipped'))).toMatch(/403 Resource not accessible by integration.*fork/);
      expect(w.find((l) => l.includes('GitHub Deployment skipped'))).toMatch(/403 Resource not accessible by integration/);
      expect(fake.comments.get(number) ?? []).toHaveLength(0);
      expect(deploymentsOf(number)).toHaveLength(0);
      expect(r.post.exitCode).toBe(0);
    } finally {
      fake.clearFaults();
    }
  });
});
