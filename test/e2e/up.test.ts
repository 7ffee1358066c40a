import { afterAll, describe, expect, it } from 'vitest';
import { deleteNamespaces, exists, getJson, restrictedKubeconfig, waitNamespaceGone } from './helpers/cluster.js';
import { pullRequestEvent, runAction, runMainAndPost, type ActionRun } from './helpers/run-action.js';

interface Obj {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface ObjList {
  items: Obj[];
}

const used: string[] = [];
let nextPr = 100 + Math.floor(Math.random() * 800_000);
/** A fresh PR number (and so a fresh namespace) per test. */
function pr(): { number: number; ns: string } {
  const number = nextPr++;
  const ns = `pr-${number}-shop`;
  used.push(ns);
  return { number, ns };
}

const base = (number: number, extra: Record<string, string> = {}) => ({
  inputs: { kubeconfig: restrictedKubeconfig(), ...extra },
  event: pullRequestEvent({ number, sha: 'c0ffee'.padEnd(40, '0') }),
});

function failLines(run: ActionRun): string[] {
  return run.lines.filter((l) => l.startsWith('::error'));
}

afterAll(async () => {
  await deleteNamespaces(...used);
});

describe('up on a pull_request event', () => {
  it('creates the namespace with labels, expiry, quota, limits and network policy, the database and the app', async () => {
    const { number, ns } = pr();
    const t0 = Date.now();
    const run = await runAction(base(number, { 'app-image': 'ghcr.io/acme/shop:1', database: 'postgresql', ttl: '2h', 'on-success': 'keep' }));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.namespace).toBe(ns);

    const nsObj = await getJson<Obj>(['get', 'namespace', ns]);
    expect(nsObj.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'kube-ephemeral',
      'kube-ephemeral.io/repo': 'acme.shop',
      'kube-ephemeral.io/pr': String(number),
      'kube-ephemeral.io/head-sha': 'c0ffee'.padEnd(40, '0'),
      'pod-security.kubernetes.io/enforce': 'baseline',
    });
    const expires = Date.parse(nsObj.metadata.annotations?.['kube-ephemeral.io/expires-at'] ?? '');
    expect(expires - t0).toBeGreaterThan(2 * 3600_000 - 60_000);
    expect(expires - t0).toBeLessThan(2 * 3600_000 + 60_000);
    expect(nsObj.metadata.annotations?.['kube-ephemeral.io/run-url']).toMatch(/^https:\/\/github.example\/acme\/shop\/actions\/runs\/\d+$/);

    const quota = await getJson<ObjList>(['get', 'resourcequota', '-n', ns]);
    expect(quota.items[0]?.spec?.hard).toMatchObject({ 'limits.cpu': '1', 'limits.memory': '1Gi', pods: '10' });
    const limits = await getJson<ObjList>(['get', 'limitrange', '-n', ns]);
    const item = (limits.items[0]?.spec?.limits as { type: string; default?: Record<string, string> }[])[0];
    expect(item?.type).toBe('Container');
    expect(item?.default?.cpu).toBeTruthy(); // the client-node serializer would have dropped `default`
    const netpol = await getJson<ObjList>(['get', 'networkpolicy', '-n', ns]);
    const ingress = netpol.items.find((n) => n.metadata.name === 'allow-same-namespace')?.spec?.ingress as { from?: unknown[] }[];
    expect(ingress[0]?.from).toEqual([{ podSelector: {} }]);

    const deploy = await getJson<Obj & { status: { readyReplicas?: number } }>(['get', 'deployment', 'app', '-n', ns]);
    expect(deploy.status.readyReplicas).toBe(1);
    const sts = await getJson<Obj & { status: { readyReplicas?: number } }>(['get', 'statefulset', 'postgresql', '-n', ns]);
    expect(sts.status.readyReplicas).toBe(1);
    // Every container of the environment has limits within the quota.
    const pods = await getJson<{ items: { spec: { containers: { resources?: { limits?: Record<string, string> } }[] } }[] }>(['get', 'pods', '-n', ns]);
    for (const p of pods.items) for (const c of p.spec.containers) expect(c.resources?.limits?.cpu).toBeTruthy();

    // The password is masked before anything prints it, and only as a mask.
    const secret = await getJson<Obj>(['get', 'secret', 'postgresql-credentials', '-n', ns]);
    const password = Buffer.from(secret.data?.password ?? '', 'base64').toString();
    expect(password.length).toBeGreaterThanOrEqual(16);
    const masked = run.lines.findIndex((l) => l === `::add-mask::${password}`);
    expect(masked).toBeGreaterThanOrEqual(0);
    expect(run.lines.filter((l) => l.includes(password)).every((l) => l.startsWith('::add-mask::'))).toBe(true);
    expect(run.outputs['database-url']).toContain(password); // the output itself is masked by the runner
    expect(run.outputs['app-url']).toBe(`http://app.${ns}.svc.cluster.local:8000`);
    expect(run.outputs['test-result']).toBe('skipped');

    expect(run.result?.phases.map((p) => p.name)).toEqual([`Namespace ${ns}`, 'Deploy', 'Wait for readiness']);
    expect(run.result?.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(
      expect.arrayContaining(['Namespace/' + ns, 'ResourceQuota/environment-quota', 'LimitRange/container-defaults', 'Deployment/app', 'StatefulSet/postgresql', 'Secret/postgresql-credentials']),
    );
    expect(run.summary).toContain('Wait for readiness');
  });

  it('a second up for the same PR reuses the namespace, renews the expiry and updates the app', async () => {
    const { number, ns } = pr();
    const first = await runAction(base(number, { 'app-image': 'ghcr.io/acme/shop:1', database: 'postgresql', 'on-success': 'keep' }));
    expect(first.exitCode, first.stdout).toBe(0);
    const before = await getJson<Obj>(['get', 'namespace', ns]);
    const pw1 = (await getJson<Obj>(['get', 'secret', 'postgresql-credentials', '-n', ns])).data?.password;
    await new Promise((r) => setTimeout(r, 1100));
    const second = await runAction(base(number, { 'app-image': 'ghcr.io/acme/shop:2', database: 'postgresql', 'on-success': 'keep' }));
    expect(second.exitCode, second.stdout).toBe(0);
    const after = await getJson<Obj>(['get', 'namespace', ns]);
    expect(after.metadata).toMatchObject({ name: ns });
    expect((after as unknown as { metadata: { uid: string } }).metadata.uid).toBe((before as unknown as { metadata: { uid: string } }).metadata.uid);
    expect(Date.parse(after.metadata.annotations?.['kube-ephemeral.io/expires-at'] ?? '')).toBeGreaterThan(
      Date.parse(before.metadata.annotations?.['kube-ephemeral.io/expires-at'] ?? ''),
    );
    const deploy = await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } }; metadata: { annotations: Record<string, string> } }>(['get', 'deployment', 'app', '-n', ns]);
    expect(deploy.spec.template.spec.containers[0]?.image).toBe('ghcr.io/acme/shop:2');
    expect(deploy.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    // The database keeps its password: the running database was initialised with it.
    expect((await getJson<Obj>(['get', 'secret', 'postgresql-credentials', '-n', ns])).data?.password).toBe(pw1);
  });

  it('post deletes the namespace after a successful run, and keeps it with on-success: keep', async () => {
    const a = pr();
    const { main, post } = await runMainAndPost(base(a.number, { 'app-image': 'ghcr.io/acme/shop:1' }));
    expect(main.exitCode, main.stdout).toBe(0);
    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.stdout).toMatch(new RegExp(`namespace ${a.ns} deleted \\(gone after`));
    expect(await exists(['namespace', a.ns])).toBe(false);

    const b = pr();
    const kept = await runMainAndPost(base(b.number, { 'app-image': 'ghcr.io/acme/shop:1', 'on-success': 'keep' }));
    expect(kept.post.exitCode).toBe(0);
    expect(kept.post.stdout).toMatch(new RegExp(`::warning title=kube-ephemeral kept an environment::namespace ${b.ns} is kept until 20`));
    expect(await exists(['namespace', b.ns])).toBe(true);
  });

  it('a bad image fails fast with the cause, and post still deletes the namespace', async () => {
    const { number, ns } = pr();
    const { main, post } = await runMainAndPost(base(number, { 'app-image': 'local/app:bad-image', timeout: '3m' }));
    expect(main.exitCode).toBe(1);
    expect(main.durationMs).toBeLessThan(60_000); // far sooner than the 3-minute timeout
    expect(failLines(main)).toEqual([expect.stringMatching(/deployment\/app in .* failed: ImagePullBackOff: cannot pull image local\/app:bad-image/)]);
    expect(main.result?.status).toBe('failure');
    expect(main.result?.cause).toMatch(/ImagePullBackOff/);
    expect(main.summary).toMatch(/ImagePullBackOff/);
    expect(main.stdout).toMatch(/Events of deployment\/app:/);
    expect(post.stdout).toMatch(new RegExp(`the run failed; on-failure: delete`));
    expect(await exists(['namespace', ns])).toBe(false);
  });

  it('a crash-looping app fails fast naming the crash', async () => {
    const { number, ns } = pr();
    const run = await runAction(base(number, { 'app-image': 'local/app:crashloop', timeout: '3m' }));
    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(60_000);
    expect(failLines(run)[0]).toMatch(/deployment\/app in .* failed: CrashLoopBackOff: container app keeps crashing/);
    await deleteNamespaces(ns);
  });

  it('dry-run validates against the API server and creates nothing', async () => {
    const { number, ns } = pr();
    const run = await runAction(base(number, { 'app-image': 'ghcr.io/acme/shop:1', database: 'redis', 'dry-run': 'true' }));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/created \(dry run\) namespace\//);
    expect(run.stdout).toMatch(/\(dry run\) deployment\/app/);
    expect(run.result?.dryRun).toBe(true);
    expect(await exists(['namespace', ns])).toBe(false);
  });

  it('down deletes the PR environment only when it carries our labels', async () => {
    const { number, ns } = pr();
    expect((await runAction(base(number, { 'app-image': 'ghcr.io/acme/shop:1', 'on-success': 'keep' }))).exitCode).toBe(0);
    const down = await runAction({ ...base(number, { command: 'down' }), event: pullRequestEvent({ number, state: 'closed', action: 'closed' }) });
    expect(down.exitCode, down.stdout).toBe(0);
    expect(down.stdout).toContain(`namespace ${ns} deleted`);
    expect(await waitNamespaceGone(ns, 5_000)).toBe(true);
  });
});

describe('up with a test Job', () => {
  it('streams a passing test log in order, and a failing one fails the step with test-result and exit code', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { registerPodLogs, criLog } = await import('./cluster-tools.js');
    const a = pr();
    const file = join(mkdtempSync(join(tmpdir(), 'ke-up-')), 'a.log');
    const lines = Array.from({ length: 40 }, (_, i) => `test line ${String(i + 1).padStart(2, '0')}`);
    writeFileSync(file, criLog([...lines, '::error::from the pod', '::add-mask::not-a-secret']));
    await registerPodLogs(a.ns, file);
    const pass = await runMainAndPost(base(a.number, { 'app-image': 'ghcr.io/acme/shop:1', database: 'postgresql', 'test-image': 'local/test:pass', 'test-command': 'npm test' }));
    expect(pass.main.exitCode, pass.main.stdout).toBe(0);
    expect(pass.main.outputs['test-result']).toBe('passed');
    expect(pass.main.outputs['test-exit-code']).toBe('0');
    expect(pass.main.outputs['job-name']).toMatch(/^test-\d+-1/);
    const got = pass.main.lines.filter((l) => l.startsWith('test line '));
    expect(got).toEqual(lines);
    // The pod's workflow commands are inside a stop-commands section: the runner ignores them.
    const start = pass.main.lines.findIndex((l) => l.startsWith('::stop-commands::'));
    const token = pass.main.lines[start]?.slice('::stop-commands::'.length) ?? '';
    const end = pass.main.lines.indexOf(`::${token}::`);
    const evil = pass.main.lines.indexOf('::error::from the pod');
    expect(token.length).toBeGreaterThan(16);
    expect(start).toBeLessThan(evil);
    expect(evil).toBeLessThan(end);
    expect(pass.main.lines.filter((l) => l.startsWith('::error'))).toEqual(['::error::from the pod']);
    expect(pass.main.result?.phases.map((p) => p.name)).toContain('Test');
    expect(await exists(['namespace', a.ns])).toBe(false);

    const b = pr();
    await registerPodLogs(b.ns, file);
    const fail = await runMainAndPost(base(b.number, { 'test-image': 'local/test:fail', 'test-command': 'npm test' }));
    expect(fail.main.exitCode).toBe(1);
    expect(fail.main.outputs['test-result']).toBe('failed');
    expect(fail.main.outputs['test-exit-code']).toBe('1');
    expect(failLines(fail.main).filter((l) => l.includes('title=kube-ephemeral'))).toEqual([expect.stringMatching(/job test-\d+-1\S* failed: container test exited with code 1/)]);
    expect(fail.main.lines.filter((l) => l.startsWith('test line '))).toEqual(lines);
    expect(fail.post.stdout).toMatch(/the run failed; on-failure: delete/);
    expect(await exists(['namespace', b.ns])).toBe(false);
  });
});
