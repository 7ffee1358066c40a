/**
 * Fault 4: the API server answers 429 (throttled), 500 (internal error) and 409 (conflict) to some
 * calls — injected by a proxy in front of it (helpers/api-proxy.ts), and a real field-manager
 * conflict. Retried with backoff where that is safe (reads, applies, deletes, watches; any call
 * on 429, which the server answers before acting); reported in one clear line where it is not (a
 * POST that may have been acted on, a conflict over fields another manager owns).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiProxy, type RecordedRequest } from './helpers/api-proxy.js';
import { SLOW_READY_IMAGE } from './helpers/stages.js';
import { baseInputs, cleanupNamespaces, cluster, criLines, errorLines, freshPr, namespaceGone, newNamespace, nextRunId, pullRequestEvent, runAction } from './helpers/faults.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-faults-api-'));
let proxy: ApiProxy;
beforeEach(async () => {
  proxy = await new ApiProxy({ upstream: cluster.apiServer, adminKubeconfig: cluster.adminKubeconfigPath }).start();
});
afterEach(async () => proxy.stop());
afterAll(cleanupNamespaces);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function upRun(number: number, ns: string, extra: Record<string, string> = {}) {
  const file = join(dir, `${ns}.log`);
  writeFileSync(file, criLines(['tests running', 'all passed']));
  await cluster.registerPodLogs(ns, file);
  const o = {
    inputs: baseInputs({ kubeconfig: proxy.kubeconfig(), 'app-image': 'ghcr.io/acme/shop:1.0.0', database: 'postgresql', 'test-image': 'local/test:pass', 'test-command': 'npm test', ...extra }),
    event: pullRequestEvent({ number }),
    runId: nextRunId(),
  };
  const main = await runAction(o);
  const post = await runAction({ ...o, state: main.state });
  return { main, post };
}

/** The request answered with `status` by the proxy, and the same call sent again after it. */
function retryOf(status: number, method: string, path: RegExp): { injected: RecordedRequest | undefined; retry: RecordedRequest | undefined } {
  const i = proxy.requests.findIndex((r) => r.injected && r.status === status && r.method === method && path.test(r.path));
  const injected = proxy.requests[i];
  // the same call: method, path, query and body (29 reviews go out at once, each with its own body)
  const same = (r: RecordedRequest): boolean => r.method === method && r.path === injected?.path && r.body === injected.body && r.query.toString() === injected.query.toString();
  const retry = i < 0 ? undefined : proxy.requests.slice(i + 1).find((r) => !r.injected && same(r));
  return { injected, retry };
}

describe('API errors', () => {
  it('429 with Retry-After on a read, a review, an apply, the Job POST, a watch and the namespace DELETE: all retried after the asked second, the run succeeds', async () => {
    const { number, ns } = freshPr();
    const n = esc(ns);
    const rules = [
      { method: 'GET', path: /^\/version$/ },
      { method: 'POST', path: /^\/apis\/authorization\.k8s\.io\/v1\/selfsubjectaccessreviews$/ },
      { method: 'PATCH', path: new RegExp(`^/apis/apps/v1/namespaces/${n}/deployments/app$`) },
      { method: 'POST', path: new RegExp(`^/apis/batch/v1/namespaces/${n}/jobs$`) },
      { method: 'GET', path: new RegExp(`^/api/v1/namespaces/${n}/pods$`), query: /watch=/ },
      { method: 'DELETE', path: new RegExp(`^/api/v1/namespaces/${n}$`) },
    ];
    const counters = rules.map((r) => proxy.failWith({ ...r, status: 429, times: 1, retryAfter: '1', message: 'Too many requests, please try again later.' }));
    // The app is ready only ~10 s later: the readiness wait needs its watches.
    const { main, post } = await upRun(number, ns, { 'app-image': SLOW_READY_IMAGE });
    expect(main.exitCode, main.stdout.slice(-3000)).toBe(0);
    expect(main.outputs['test-result']).toBe('passed');
    expect(post.exitCode, post.stdout).toBe(0);
    expect(await namespaceGone(ns)).toBe(true);
    for (const [i, r] of rules.entries()) {
      expect(counters[i]?.hits(), `${r.method} ${r.path}`).toBe(1);
      const { injected, retry } = retryOf(429, r.method, r.path);
      const seen = proxy.requests.filter((x) => r.path.test(x.path)).map((x) => `${x.atMs}ms ${x.method} ${x.query.toString()} -> ${x.status}${x.injected ? ' (injected)' : ''}`);
      expect(retry, `${r.method} ${r.path} was sent again:\n${seen.join('\n')}`).toBeDefined();
      expect((retry?.atMs ?? 0) - (injected?.atMs ?? 0), `${r.method} ${r.path} waited for Retry-After`).toBeGreaterThanOrEqual(900);
    }
  });

  it('500 on applies, a read, a list and a watch: retried with a growing backoff, the run succeeds', async () => {
    const { number, ns } = freshPr();
    const n = esc(ns);
    const rules = [
      { method: 'PATCH', path: new RegExp(`^/apis/apps/v1/namespaces/${n}/statefulsets/postgresql$`), times: 2 },
      { method: 'GET', path: new RegExp(`^/api/v1/namespaces/${n}$`), times: 1 },
      { method: 'GET', path: new RegExp(`^/api/v1/namespaces/${n}/pods$`), query: /^(?!.*watch=)/, times: 1 },
      { method: 'GET', path: new RegExp(`^/apis/apps/v1/namespaces/${n}/deployments$`), query: /watch=/, times: 1 },
    ];
    const counters = rules.map((r) => proxy.failWith({ ...r, status: 500, message: 'etcdserver: request timed out' }));
    const { main, post } = await upRun(number, ns, { 'app-image': SLOW_READY_IMAGE });
    expect(main.exitCode, main.stdout.slice(-3000)).toBe(0);
    expect(post.exitCode).toBe(0);
    expect(await namespaceGone(ns)).toBe(true);
    for (const [i, r] of rules.entries()) {
      expect(counters[i]?.hits(), `${r.method} ${r.path}`).toBe(r.times);
      const { injected, retry } = retryOf(500, r.method, r.path);
      const seen = proxy.requests.filter((x) => r.path.test(x.path)).map((x) => `${x.atMs}ms ${x.method} ${x.query.toString()} -> ${x.status}${x.injected ? ' (injected)' : ''}`);
      expect(retry, `${r.method} ${r.path} was sent again:\n${seen.join('\n')}`).toBeDefined();
      expect((retry?.atMs ?? 0) - (injected?.atMs ?? 0)).toBeGreaterThanOrEqual(200);
    }
    // two 500s on one apply: the second wait is longer than the first
    const sts = proxy.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/statefulsets/postgresql'));
    expect(sts.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = sts.map((r) => r.atMs);
    expect((c ?? 0) - (b ?? 0)).toBeGreaterThan((b ?? 0) - (a ?? 0));
  });

  it('500 on the POST that creates the test Job: not sent again (it may have been created), one clear error naming the job; post still deletes the namespace', async () => {
    const { number, ns } = freshPr();
    const jobs = new RegExp(`^/apis/batch/v1/namespaces/${esc(ns)}/jobs$`);
    const counter = proxy.failWith({ method: 'POST', path: jobs, status: 500, times: 1, message: 'Internal error occurred: injected' });
    const { main, post } = await upRun(number, ns);
    expect(counter.hits()).toBe(1);
    expect(proxy.requests.filter((r) => r.method === 'POST' && jobs.test(r.path))).toHaveLength(1);
    expect(main.exitCode).toBe(1);
    const errors = errorLines(main);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot create job test-\d+-1 in namespace pr-\d+-shop: 500 InternalError: Internal error occurred: injected/);
    expect(post.exitCode).toBe(0);
    expect(await namespaceGone(ns)).toBe(true);
  });

  it('409 on the Lease of the environment lock (a lost race): decided again, the run succeeds', async () => {
    const { number, ns } = freshPr();
    const counter = proxy.failWith({ method: 'POST', path: new RegExp(`^/apis/coordination\\.k8s\\.io/v1/namespaces/${esc(ns)}/leases$`), status: 409, reason: 'AlreadyExists', times: 1, message: 'leases.coordination.k8s.io "kube-ephemeral-lock" already exists' });
    const { main, post } = await upRun(number, ns);
    expect(counter.hits()).toBe(1);
    expect(main.exitCode, main.stdout.slice(-3000)).toBe(0);
    expect(post.exitCode).toBe(0);
    expect(await namespaceGone(ns)).toBe(true);
  });

  it('409 over fields another manager owns (a real conflict): apply fails with one line naming the object, the field and force-conflicts; nothing changes', async () => {
    const ns = await newNamespace('conflict');
    await cluster.kubectl(['apply', '--server-side', '--field-manager=someone-else', '-n', ns, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'theirs' } }),
    });
    const manifest = join(dir, `${ns}.yaml`);
    writeFileSync(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: ours\n');
    const run = await runAction({ inputs: baseInputs({ command: 'apply', namespace: ns, manifests: manifest, kubeconfig: proxy.kubeconfig() }), eventName: 'workflow_dispatch' });
    expect(run.exitCode).toBe(1);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/configmap\/settings/);
    expect(errors[0]).toMatch(/\.data\.mode/);
    expect(errors[0]).toMatch(/force-conflicts/);
    // the conflicting PATCH was sent once: a conflict is not retried
    expect(proxy.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/configmaps/settings') && !r.query.get('dryRun')).length).toBeLessThanOrEqual(1);
    const cm = await cluster.getJson<{ data: Record<string, string> }>(['-n', ns, 'get', 'configmap', 'settings']);
    expect(cm.data.mode).toBe('theirs');
  });
});
