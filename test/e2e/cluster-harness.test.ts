/**
 * The local control plane itself (scripts/cluster): what a user of the e2e cluster relies on,
 * checked with the cluster's own kubectl and the admin kubeconfig from .cluster/env.
 * Every test works in a fresh namespace of its own and deletes it afterwards.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClusterEnv, criLog, readClusterEnv, registerPodLogs, unregisterPodLogs } from './cluster-tools.js';

const PINNED_KUBE_VERSION = 'v1.37.2';
const WAIT = '60s'; // kubectl wait --timeout of each step

let env: ClusterEnv;

interface Result {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the cluster's kubectl (admin unless told otherwise); rejects on failure unless allowFail. */
function kubectl(args: readonly string[], o: { input?: string; kubeconfig?: string; allowFail?: boolean; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(env.KUBECTL, ['--kubeconfig', o.kubeconfig ?? env.KUBECONFIG_ADMIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { stdout, stderr, code: code ?? 1 };
      if (r.code !== 0 && !o.allowFail) reject(new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${stderr || stdout}`));
      else resolvePromise(r);
    });
    child.stdin.end(o.input ?? '');
  });
}

const getJson = async <T>(args: readonly string[]): Promise<T> => JSON.parse((await kubectl([...args, '-o', 'json'])).stdout) as T;

interface Stream {
  /** Resolves with the output so far as soon as `done(output)` holds; rejects after timeoutMs. */
  waitFor(done: (out: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): void;
}

/** Starts a long-lived kubectl (`get --watch`, `logs --follow`) whose output can be awaited. */
function stream(args: readonly string[]): Stream {
  const child = spawn(env.KUBECTL, ['--kubeconfig', env.KUBECONFIG_ADMIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let ended: string | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), notify()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.on('error', (e) => ((ended = String(e)), notify()));
  child.on('close', (code) => ((ended = `exited ${code}`), notify()));
  return {
    waitFor: (done, timeoutMs = 60_000) =>
      new Promise((resolvePromise, reject) => {
        const check = (): void => {
          if (done(out)) finish(() => resolvePromise(out));
          else if (ended) finish(() => reject(new Error(`kubectl ${args.join(' ')} ${ended}\nstdout: ${out}\nstderr: ${err}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out: kubectl ${args.join(' ')}\nstdout: ${out}\nstderr: ${err}`))), timeoutMs);
        const finish = (f: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      }),
    stop: () => void child.kill('SIGTERM'),
  };
}

/** Watches the pods of `namespace` matching `selector` until one line of `jsonpath` output matches. */
async function watchPods(namespace: string, selector: string, jsonpath: string, match: RegExp): Promise<void> {
  const watch = stream(['get', 'pods', '-n', namespace, '-l', selector, '--watch', '-o', `jsonpath=${jsonpath}{"\\n"}`]);
  try {
    await watch.waitFor((out) => out.split('\n').some((l) => match.test(l)));
  } finally {
    watch.stop();
  }
}

const namespaces: string[] = [];

/** A fresh namespace, usable for pods (its default ServiceAccount exists). */
async function freshNamespace(purpose: string): Promise<string> {
  const name = `harness-${purpose}-${Math.random().toString(36).slice(2, 8)}`;
  namespaces.push(name);
  await kubectl(['create', 'namespace', name]);
  await kubectl(['wait', '--for=create', 'serviceaccount/default', '-n', name, `--timeout=${WAIT}`]);
  return name;
}

afterEach(async () => {
  const names = namespaces.splice(0);
  for (const ns of names) await unregisterPodLogs(ns);
  if (names.length) await kubectl(['delete', 'namespace', ...names, '--ignore-not-found', '--wait=false'], { allowFail: true });
});

// The cluster must be there: every test FAILS (none is skipped) when it is not.
let unreachable: Error | undefined;
beforeAll(async () => {
  try {
    env = readClusterEnv();
    const ready = await kubectl(['get', '--raw', '/readyz'], { allowFail: true, timeoutMs: 20_000 });
    if (ready.code !== 0) throw new Error(`the local cluster at ${env.API_SERVER} does not answer /readyz: ${ready.stderr}`);
  } catch (err) {
    unreachable = err as Error;
  }
});
beforeEach(() => {
  if (unreachable) throw unreachable;
});

const deployment = (name: string, image: string, replicas = 1): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: main, image: "${image}" }]
`;

const job = (name: string, image: string): string => `
apiVersion: batch/v1
kind: Job
metadata: { name: ${name} }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: tests, image: "${image}" }]
`;

interface ContainerState {
  running?: object;
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string };
}
interface Pod {
  metadata: { name: string };
  status: {
    phase: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number; ready: boolean; state: ContainerState; lastState?: ContainerState }[];
  };
}
const podsOf = async (namespace: string, selector: string): Promise<Pod[]> => (await getJson<{ items: Pod[] }>(['get', 'pods', '-n', namespace, '-l', selector])).items;
const isReady = (p: Pod): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('local control plane (scripts/cluster)', () => {
  it(`serves Kubernetes ${PINNED_KUBE_VERSION}`, async () => {
    const version = JSON.parse((await kubectl(['get', '--raw', '/version'])).stdout) as { gitVersion: string };
    expect(version.gitVersion).toBe(PINNED_KUBE_VERSION);
    expect(env.KUBE_VERSION).toBe(PINNED_KUBE_VERSION);
  });

  it('rolls out a Deployment: a ReplicaSet with revision 1 and Ready pods', async () => {
    const ns = await freshNamespace('deploy');
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: deployment('web', 'nginx:1.27', 2) });
    await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, `--timeout=${WAIT}`]);

    const d = await getJson<{ spec: { replicas: number }; status: { readyReplicas?: number; updatedReplicas?: number } }>(['get', 'deployment/web', '-n', ns]);
    expect(d.status.readyReplicas).toBe(d.spec.replicas);
    expect(d.status.readyReplicas).toBe(2);
    const rs = (await getJson<{ items: { metadata: { annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] } }[] }>(['get', 'replicasets', '-n', ns, '-l', 'app=web'])).items;
    expect(rs).toHaveLength(1);
    expect(rs[0]?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs[0]?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web' });
    const pods = await podsOf(ns, 'app=web');
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.status.phase === 'Running' && isReady(p))).toBe(true);
  });

  it('local/test:pass runs ~2 s and the Job completes (exit 0)', async () => {
    const ns = await freshNamespace('pass');
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: job('tests', 'local/test:pass') });
    await kubectl(['wait', '--for=condition=Complete', 'job/tests', '-n', ns, `--timeout=${WAIT}`]);
    const [pod] = await podsOf(ns, 'job-name=tests');
    expect(pod?.status.phase).toBe('Succeeded');
    const t = pod?.status.containerStatuses?.[0]?.state.terminated;
    expect(t?.exitCode).toBe(0);
    // it ran for a while (kwok's instant pod-complete did not take it): RFC3339 has whole seconds
    expect(Date.parse(t?.finishedAt ?? '') - Date.parse(t?.startedAt ?? '')).toBeGreaterThanOrEqual(1000);
  });

  it('local/test:fail runs ~2 s and the Job fails with the container exit code 1', async () => {
    const ns = await freshNamespace('fail');
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: job('tests', 'local/test:fail') });
    await kubectl(['wait', '--for=condition=Failed', 'job/tests', '-n', ns, `--timeout=${WAIT}`]);
    const [pod] = await podsOf(ns, 'job-name=tests');
    expect(pod?.status.phase).toBe('Failed');
    const t = pod?.status.containerStatuses?.[0]?.state.terminated;
    expect(t?.exitCode).toBe(1);
    expect(t?.reason).toBe('Error');
    expect(Date.parse(t?.finishedAt ?? '') - Date.parse(t?.startedAt ?? '')).toBeGreaterThanOrEqual(1000);
  });

  it('local/app:bad-image stays Pending in ImagePullBackOff, not Ready', async () => {
    const ns = await freshNamespace('badimage');
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: deployment('app', 'local/app:bad-image') });
    await watchPods(ns, 'app=app', '{.status.containerStatuses[0].state.waiting.reason}', /^ImagePullBackOff$/);
    const [pod] = await podsOf(ns, 'app=app');
    expect(pod?.status.phase).toBe('Pending');
    expect(pod?.status.containerStatuses?.[0]?.state.waiting?.message).toMatch(/local\/app:bad-image/);
    expect(pod && isReady(pod)).toBe(false);
    const d = await getJson<{ status: { readyReplicas?: number } }>(['get', 'deployment/app', '-n', ns]);
    expect(d.status.readyReplicas ?? 0).toBe(0);
  });

  it('local/app:crashloop is in CrashLoopBackOff with restarts and exit code 1, not Ready', async () => {
    const ns = await freshNamespace('crash');
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: deployment('app', 'local/app:crashloop') });
    await watchPods(ns, 'app=app', '{.status.containerStatuses[0].state.waiting.reason}', /^CrashLoopBackOff$/);
    const [pod] = await podsOf(ns, 'app=app');
    const cs = pod?.status.containerStatuses?.[0];
    expect(cs?.restartCount).toBeGreaterThan(0);
    expect(cs?.lastState?.terminated?.exitCode).toBe(1);
    expect(cs?.ready).toBe(false);
    expect(pod && isReady(pod)).toBe(false);
  });

  it('serves a registered log file through kubectl logs, and appended lines to -f', async () => {
    const ns = await freshNamespace('logs');
    const file = join(env.POD_LOGS_DIR, `${ns}.log`);
    writeFileSync(file, criLog(['line one', 'line two']) + criLog(['line three (stderr)'], 'stderr'));
    await registerPodLogs(ns, file);
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: deployment('app', 'nginx:1.27') });
    await kubectl(['rollout', 'status', 'deployment/app', '-n', ns, `--timeout=${WAIT}`]);

    const logs = await kubectl(['logs', 'deployment/app', '-n', ns]);
    expect(logs.stdout).toBe('line one\nline two\nline three (stderr)\n');

    // follow: the lines appended while a client follows reach it (the stream stays open: stop it)
    const follow = stream(['logs', '--follow', 'deployment/app', '-n', ns]);
    try {
      await follow.waitFor((out) => out.includes('line three'));
      appendFileSync(file, criLog(['line four (appended)']));
      expect(await follow.waitFor((out) => out.includes('line four'))).toBe('line one\nline two\nline three (stderr)\nline four (appended)\n');
    } finally {
      follow.stop();
    }
  });

  it('enforces a ResourceQuota', async () => {
    const ns = await freshNamespace('quota');
    await kubectl(['apply', '-n', ns, '-f', '-'], {
      input: 'apiVersion: v1\nkind: ResourceQuota\nmetadata: { name: q }\nspec: { hard: { pods: "5", requests.cpu: 500m } }\n',
    });
    // admission uses the quota's status, which kube-controller-manager computes
    await kubectl(['wait', '--for=jsonpath={.status.hard.requests\\.cpu}=500m', 'resourcequota/q', '-n', ns, `--timeout=${WAIT}`]);
    const pod = (name: string, cpu: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: { name: ${name} }\nspec: { containers: [{ name: main, image: nginx, resources: { requests: { cpu: ${cpu} } } }] }\n`;

    await kubectl(['apply', '-n', ns, '-f', '-'], { input: pod('small', '200m') });
    const big = await kubectl(['apply', '-n', ns, '-f', '-'], { input: pod('big', '400m'), allowFail: true });
    expect(big.code).not.toBe(0);
    expect(big.stderr).toMatch(/exceeded quota: q, requested: requests\.cpu=400m, used: requests\.cpu=200m, limited: requests\.cpu=500m/);
  });

  it('deletes a namespace with workloads to the end', async () => {
    const ns = await freshNamespace('delete');
    await kubectl(['apply', '-n', ns, '-f', '-'], { input: deployment('web', 'nginx:1.27', 2) + '---' + job('tests', 'local/test:pass') });
    await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, `--timeout=${WAIT}`]);
    await kubectl(['delete', 'namespace', ns, '--wait=false']);
    await kubectl(['wait', '--for=delete', `namespace/${ns}`, '--timeout=120s'], { timeoutMs: 150_000 });
    const gone = await kubectl(['get', 'namespace', ns], { allowFail: true });
    expect(gone.stderr).toMatch(/NotFound|not found/);
  });

  it('the restricted kubeconfig can create a namespace but cannot list nodes', async () => {
    const restricted = { kubeconfig: env.KUBECONFIG_RESTRICTED };
    const whoami = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], restricted);
    expect(whoami.stdout).toBe('kube-ephemeral');

    const name = `harness-restricted-${Math.random().toString(36).slice(2, 8)}`;
    namespaces.push(name);
    await kubectl(['create', 'namespace', name], restricted);
    expect((await kubectl(['get', 'namespace', name, '-o', 'name'], restricted)).stdout.trim()).toBe(`namespace/${name}`);

    const nodes = await kubectl(['get', 'nodes'], { ...restricted, allowFail: true });
    expect(nodes.code).not.toBe(0);
    expect(nodes.stderr).toMatch(/forbidden.*cannot list resource "nodes"/i);
  });
});
