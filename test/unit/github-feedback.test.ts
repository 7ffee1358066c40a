import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runContextFrom, type RunContext } from '../../src/context.js';
import { createGitHub } from '../../src/github/client.js';
import { parseCommentView } from '../../src/github/comment-body.js';
import { feedbackEnd, feedbackEnv, feedbackStart, markEnvironmentGone, type FeedbackDeps } from '../../src/github/feedback.js';
import { explainGitHubError } from '../../src/github/github-errors.js';
import { GitHubUnreachableError, retryable } from '../../src/github/request-policy.js';
import { parseInputs, type InputName, type Inputs } from '../../src/inputs.js';
import type { Log } from '../../src/log.js';
import type { Result } from '../../src/report.js';
import { FakeGitHub } from '../e2e/helpers/fake-github.js';

function inputs(values: Partial<Record<InputName, string>> = {}): Inputs {
  return parseInputs((name) => values[name] ?? '');
}

function ctx(pr: number | undefined, apiUrl = 'http://127.0.0.1:9', runId = '42'): RunContext {
  const event = pr === undefined ? {} : { number: pr, pull_request: { number: pr, state: 'open', head: { sha: 'c0ffee'.padEnd(40, '0') } } };
  return runContextFrom(
    { GITHUB_REPOSITORY: 'acme/shop', GITHUB_EVENT_NAME: pr === undefined ? 'push' : 'pull_request', GITHUB_RUN_ID: runId, GITHUB_SERVER_URL: 'https://github.example', GITHUB_API_URL: apiUrl },
    event,
  );
}

interface Collected extends Log {
  readonly warnings: string[];
  readonly infos: string[];
}

function collector(): Collected {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    info: (m) => infos.push(m),
    debug: () => undefined,
    warning: (m) => warnings.push(m),
    error: (m) => warnings.push(`ERROR ${m}`),
    group: (_n, fn) => fn(),
    write: () => undefined,
    setSecret: () => undefined,
  };
}

function result(over: Partial<Result> & Record<string, unknown> = {}): Result {
  return { command: 'up', status: 'success', namespace: 'pr-7-shop', resources: [], durationMs: 1, phases: [], serverVersion: 'v1', dryRun: false, ...over };
}

describe('feedbackEnv', () => {
  it.each([
    ['up on a PR', {}, 7, { namespace: 'pr-7-shop', comment: true, deployment: true, ephemeral: true }],
    ['down on a PR', { command: 'down' }, 7, { namespace: 'pr-7-shop', comment: true, deployment: true }],
    ['a long-lived namespace gets the comment, not a Deployment', { namespace: 'staging' }, 7, { namespace: 'staging', comment: true, deployment: false, ephemeral: false }],
    ['github-deployment: false', { 'github-deployment': 'false' }, 7, { comment: true, deployment: false }],
    ['ingress-host makes the public URL', { 'app-image': 'a:1', 'ingress-host': 'pr-{pr}.preview.example.com' }, 7, { publicUrl: 'https://pr-7.preview.example.com' }],
    ['ingress-host without an app: no URL', { 'ingress-host': 'pr-{pr}.preview.example.com' }, 7, { publicUrl: undefined }],
  ])('%s', (_name, values, pr, expected) => {
    expect(feedbackEnv(inputs(values as Partial<Record<InputName, string>>), ctx(pr))).toMatchObject(expected);
  });

  it.each([
    ['list', { command: 'list' }, 7],
    ['a dry run', { 'dry-run': 'true' }, 7],
    ['no PR', {}, undefined],
    ['both turned off', { comment: 'false', 'github-deployment': 'false' }, 7],
    ['long-lived with the comment off', { namespace: 'staging', comment: 'false' }, 7],
  ])('none for %s', (_name, values, pr) => {
    expect(feedbackEnv(inputs(values as Partial<Record<InputName, string>>), ctx(pr))).toBeUndefined();
  });
});

describe('explainGitHubError', () => {
  it('403 names the fork case and the permission', () => {
    const err = Object.assign(new Error('Resource not accessible by integration - https://docs.github.com/rest/issues/comments'), { status: 403 });
    const text = explainGitHubError(err, 'comment');
    expect(text).toContain('(403 Resource not accessible by integration);');
    expect(text).toContain('fork');
    expect(text).toContain('pull-requests: write');
    expect(explainGitHubError(err, 'deployment')).toContain('deployments: write');
  });

  it('unreachable says that no further calls are made', () => {
    expect(explainGitHubError(new GitHubUnreachableError('GitHub did not answer GET /x: no answer within 10 s'), 'comment')).toMatch(/no further GitHub calls/);
  });

  it.each([
    ['GET', 502, true],
    ['GET', undefined, true],
    ['PATCH', 429, true],
    ['GET', 404, false],
    ['POST', 502, false],
    ['POST', undefined, false],
  ])('retryable(%s, %s) = %s', (method, status, out) => {
    expect(retryable(method, status)).toBe(out);
  });
});

describe('against the fake GitHub API', () => {
  const fake = new FakeGitHub();
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  function deps(values: Partial<Record<InputName, string>> = {}, token = 't0ken'): FeedbackDeps & { log: Collected } {
    const c = ctx(7, fake.url);
    return { inputs: inputs({ 'app-image': 'a:1', 'ingress-host': 'pr-{pr}.preview.example.com', ...values }), ctx: c, github: createGitHub(token, c.apiUrl), log: collector() };
  }

  const statesOf = (): string[][] => fake.deployments.map((x) => x.statuses.map((st) => st.state));

  async function up(d: FeedbackDeps, r: Result, outputs: Record<string, string> = {}): Promise<void> {
    await feedbackStart(d);
    await feedbackEnd(d, r, outputs);
  }

  it('two runs: one comment created then edited; a deployment per run with its statuses', async () => {
    const first = deps();
    await up(first, result({ expiresAt: '2026-11-23T11:00:00Z' }), { 'test-result': 'passed', 'test-exit-code': '0' });
    const second = deps();
    await up(second, result({ status: 'failure', cause: 'deployment app: ImagePullBackOff <x>' }));
    expect(first.log.warnings).toEqual([]);
    expect(second.log.warnings).toEqual([]);

    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/7/comments'));
    const patches = fake.requests.filter((r) => r.method === 'PATCH');
    expect(posts).toHaveLength(1);
    expect(patches).toHaveLength(3); // end of run 1, start and end of run 2
    const comments = fake.comments.get(7) ?? [];
    expect(comments).toHaveLength(1);
    const view = parseCommentView(comments[0]?.body ?? '');
    expect(view).toMatchObject({ status: 'failed', cause: 'deployment app: ImagePullBackOff <x>' });

    expect(fake.deployments.map((d) => [d.environment, d.ref, d.transient_environment, d.production_environment, d.statuses.map((s) => s.state)])).toEqual([
      ['pr-7', 'c0ffee'.padEnd(40, '0'), true, false, ['in_progress', 'success']],
      ['pr-7', 'c0ffee'.padEnd(40, '0'), true, false, ['in_progress', 'failure']],
    ]);
    const created = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/deployments'))?.body as Record<string, unknown>;
    expect(created).toMatchObject({ auto_merge: false, required_contexts: [], environment: 'pr-7' });
    const ok = fake.deployments[0]?.statuses[1];
    expect(ok).toMatchObject({ environment_url: 'https://pr-7.preview.example.com', log_url: 'https://github.example/acme/shop/actions/runs/42' });
    expect(fake.deployments[1]?.statuses[1]?.environment_url).toBeUndefined();
    expect(fake.deployments[1]?.statuses[1]?.description).toBe('deployment app: ImagePullBackOff <x>');
  });

  it('a superseded run does not overwrite the comment of the run after it', async () => {
    const c = (runId: string): RunContext => ctx(7, fake.url, runId);
    const older: FeedbackDeps & { log: Collected } = { ...deps(), ctx: c('100') };
    const newer: FeedbackDeps & { log: Collected } = { ...deps(), ctx: c('101') };
    await feedbackStart(older);
    await feedbackStart(newer);
    await feedbackEnd(older, result({ status: 'cancelled', cause: 'the run was cancelled (SIGINT)' }));
    expect(parseCommentView(fake.comments.get(7)?.[0]?.body ?? '')).toMatchObject({ status: 'in-progress', runUrl: expect.stringMatching(/\/101$/) });
    expect(older.log.infos).toContain('PR #7: the kube-ephemeral comment is left as a later run wrote it');
    await feedbackEnd(newer, result());
    expect(parseCommentView(fake.comments.get(7)?.[0]?.body ?? '')).toMatchObject({ status: 'ready', runUrl: expect.stringMatching(/\/101$/) });
    expect(fake.comments.get(7)).toHaveLength(1);
    expect(statesOf()).toEqual([
      ['in_progress', 'error'],
      ['in_progress', 'success'],
    ]);
  });

  it('a comment deleted by someone during the run is made again at the end', async () => {
    const d = deps({ 'github-deployment': 'false' });
    await feedbackStart(d);
    fake.comments.set(7, []);
    await feedbackEnd(d, result());
    expect(fake.comments.get(7)).toHaveLength(1);
    expect(parseCommentView(fake.comments.get(7)?.[0]?.body ?? '')?.status).toBe('ready');
    expect(d.log.warnings).toEqual([]);
  });

  it('a 403 on comments: one warning, the deployment still recorded, nothing thrown', async () => {
    fake.fail('POST', /\/issues\/7\/comments$/, 403);
    const d = deps();
    await up(d, result());
    expect(d.log.warnings).toHaveLength(1);
    expect(d.log.warnings[0]).toMatch(/^PR comment skipped: the token may not write PR comments \(403 Resource not accessible by integration\)/);
    expect(fake.requests.filter((r) => r.path.endsWith('/comments'))).toHaveLength(2); // list + the refused POST; no retry at the end
    expect(fake.deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  it('no token: one warning, no request', async () => {
    const d = deps({}, '');
    await up(d, result());
    expect(d.log.warnings).toHaveLength(1);
    expect(d.log.warnings[0]).toMatch(/^github-token is empty: no PR comment and no GitHub Deployment for pr-7-shop/);
    expect(fake.requests).toHaveLength(0);
  });

  it('comment: false and github-deployment: false: no request, no warning', async () => {
    const d = deps({ comment: 'false', 'github-deployment': 'false' });
    await up(d, result());
    expect(d.log.warnings).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('a 500 on listing comments is retried', async () => {
    fake.fail('GET', /\/issues\/7\/comments$/, 502, 1);
    const d = deps({ 'github-deployment': 'false' });
    const c = ctx(7, fake.url);
    await up({ ...d, github: createGitHub('t', c.apiUrl, { timeoutMs: 2_000, retries: 2, backoffMs: 10 }) }, result());
    expect(fake.comments.get(7)).toHaveLength(1);
  });

  it('down: the comment says deleted, deployments inactive', async () => {
    await up(deps(), result());
    const d = deps({ command: 'down' });
    await feedbackEnd(d, result({ command: 'down', teardown: 'deleted' }));
    expect(d.log.warnings).toEqual([]);
    expect(parseCommentView(fake.comments.get(7)?.[0]?.body ?? '')).toMatchObject({ status: 'deleted', command: 'down' });
    expect(fake.deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success', 'inactive']);
  });

  it('markEnvironmentGone: never creates a comment; deactivates; reports', async () => {
    const c = ctx(7, fake.url);
    const log = collector();
    const none = await markEnvironmentGone(createGitHub('t', c.apiUrl), c, 7, 'pr-7-shop', { log, reason: 'PR closed' });
    expect(none).toEqual({ comment: 'none', deactivated: 0, unreachable: false });
    expect(fake.comments.get(7) ?? []).toHaveLength(0);

    await up(deps(), result());
    const gone = await markEnvironmentGone(createGitHub('t', c.apiUrl), c, 7, 'pr-7-shop', { log, reason: 'PR closed: deleted by cleanup' });
    expect(gone).toEqual({ comment: 'updated', deactivated: 1, unreachable: false });
    const body = fake.comments.get(7)?.[0]?.body ?? '';
    expect(body).toContain('🗑️ Deleted');
    expect(body).toContain('PR closed: deleted by cleanup');
    expect(await markEnvironmentGone(undefined, c, 7, 'pr-7-shop', { log })).toEqual({ comment: 'off', deactivated: 'off', unreachable: false });
    expect(log.warnings).toEqual([]);
  });
});

describe('a GitHub that never answers', () => {
  let server: Server;
  let url = '';
  let hits = 0;
  beforeAll(async () => {
    server = createServer(() => {
      hits++; // never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('costs one timeout, one warning, and no further calls', async () => {
    const c = ctx(7, url);
    const log = collector();
    const d: FeedbackDeps = { inputs: inputs(), ctx: c, github: createGitHub('t', url, { timeoutMs: 300, retries: 1, backoffMs: 10 }), log };
    const t0 = Date.now();
    await feedbackStart(d);
    await feedbackEnd(d, result());
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(hits).toBe(1); // the deployment POST (never retried); the comment is not tried after that
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/GitHub Deployment skipped: GitHub did not answer POST \/repos\/\{owner\}\/\{repo\}\/deployments: no answer within 300 ms \(no further GitHub calls in this run\)/);
  });
});
