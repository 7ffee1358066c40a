/**
 * The workflow_dispatch operations (apply, scale, restart, rollback, status, list) and the
 * rollback of a long-lived namespace after a failed `up`, through the bundled action with the
 * restricted kubeconfig, against the local control plane. Rollback is compared with what the
 * built `kubectl rollout undo` does to an identical Deployment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criLog, registerPodLogs, unregisterPodLogs } from './cluster-tools.js';
import { deleteNamespaces, exists, getJson, kubectl, restrictedKubeconfig, uniqueName } from './helpers/cluster.js';
import { runAction, runMainAndPost, type ActionRun } from './helpers/run-action.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-ops-'));
const namespaces: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
const timings: Record<string, number> = {};

afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  await deleteNamespaces(...namespaces);
  console.log(`operations e2e timings (ms): ${JSON.stringify(timings)}`);
});

async function namespace(prefix: string, extra = ''): Promise<string> {
  const ns = uniqueName(prefix);
  namespaces.push(ns);
  await kubectl(['create', 'namespace', ns]);
  if (extra) await kubectl(['apply', '-n', ns, '-f', '-'], { input: extra });
  return ns;
}

const applyYaml = (yaml: string, ns?: string) => kubectl(['apply', ...(ns ? ['-n', ns] : []), '-f', '-'], { input: yaml });

function deploymentYaml(name: string, image: string, replicas = 1, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
      - name: ${name}
        image: ${image}
${extra}`;
}

async function rolloutStatus(ns: string, name: string): Promise<void> {
  await kubectl(['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=90s']);
}

/** The action with the restricted kubeconfig on a workflow_dispatch event. */
async function act(label: string, inputs: Record<string, string>): Promise<ActionRun> {
  const run = await runAction({ inputs: { kubeconfig: restrictedKubeconfig(), comment: 'false', 'github-deployment': 'false', ...inputs }, eventName: 'workflow_dispatch', event: {} });
  timings[label] = run.durationMs;
  return run;
}

/** `::error` lines the runner would act on: outside stop-commands sections. */
function errorLines(run: ActionRun): string[] {
  const open: string[] = [];
  const out: string[] = [];
  for (const l of run.lines) {
    const start = /^::stop-commands::(.+)$/.exec(l);
    if (start?.[1]) {
      open.push(start[1]);
      continue;
    }
    if (open.length && l === `::${open.at(-1)}::`) {
      open.pop();
      continue;
    }
    if (!open.length && l.startsWith('::error')) out.push(l);
  }
  return out;
}

interface Deploy {
  metadata: { uid: string; generation: number; annotations?: Record<string, string> };
  spec: { replicas: number; template: { metadata: { annotations?: Record<string, string>; labels?: Record<string, string> }; spec: { containers: { image: string }[] } } };
  status: { readyReplicas?: number; replicas?: number; updatedReplicas?: number };
}
interface RS {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { uid: string }[] };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}
const deployment = (ns: string, name: string) => getJson<Deploy>(['get', 'deployment', name, '-n', ns]);
const replicaSets = async (ns: string, owner: string) => {
  const d = await deployment(ns, owner);
  return (await getJson<{ items: RS[] }>(['get', 'replicasets', '-n', ns])).items.filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid));
};
const revisionsOf = (rss: RS[]) =>
  rss
    .map((r) => ({ revision: Number(r.metadata.annotations?.['deployment.kubernetes.io/revision']), history: r.metadata.annotations?.['deployment.kubernetes.io/revision-history'] ?? '', image: r.spec.template.spec.containers[0]?.image }))
    .sort((a, b) => a.revision - b.revision);

describe('apply', () => {
  const id = Math.random().toString(36).slice(2, 8);
  const group = `g${id}.e2e.kube-ephemeral.test`;
  const crd = `widgets.${group}`;
  beforeAll(async () => {
    // Applying CRDs, custom resources and Jobs (server-side apply = patch) is beyond the documented
    // RBAC of the action: a cluster admin grants it for these kinds, as a user who wants it would.
    await applyYaml(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: ke-e2e-${id} }
rules:
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch, create, patch]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [patch]
- apiGroups: [${group}]
  resources: [widgets]
  verbs: [get, list, watch, create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ke-e2e-${id} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ke-e2e-${id} }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-ephemeral }]
`);
    cleanups.push(() => kubectl(['delete', 'clusterrolebinding,clusterrole', `ke-e2e-${id}`, '--ignore-not-found']));
    cleanups.push(() => kubectl(['delete', 'crd', crd, '--ignore-not-found', '--wait=false']));
  });

  function manifests(color: string, file = `apply-${id}.yaml`): string {
    const path = join(dir, file);
    writeFileSync(
      path,
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${crd} }
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: { type: object, properties: { size: { type: integer } } }
---
apiVersion: ${group}/v1
kind: Widget
metadata: { name: sprocket }
spec: { size: 3 }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: somewhere-else }
data: { color: ${color} }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
---
${deploymentYaml('web', 'ghcr.io/acme/web:placeholder')}---
apiVersion: batch/v1
kind: Job
metadata: { name: migrate }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: migrate, image: local/test:pass }]
`,
    );
    return path;
  }

  it('creates every kind (CRD, custom resource, workloads), then unchanged, configured, a conflict reported and then forced', async () => {
    const ns = await namespace('ops-apply');
    const inputs = { command: 'apply', namespace: ns, images: 'ghcr.io/acme/web=ghcr.io/acme/web:2', timeout: '2m', 'job-timeout': '2m' };

    const first = await act('apply: create', { ...inputs, manifests: manifests('blue') });
    expect(first.exitCode, first.stdout).toBe(0);
    const actions = (r: ActionRun) => Object.fromEntries((r.result?.resources ?? []).map((x) => [`${x.kind}/${x.name}`, x.action]));
    expect(actions(first)).toEqual({
      [`CustomResourceDefinition/${crd}`]: 'created',
      'Widget/sprocket': 'created',
      'ConfigMap/settings': 'created',
      'Service/web': 'created',
      'Deployment/web': 'created',
      'Job/migrate': 'created',
    });
    // Namespaced kinds went into the namespace input, whatever the file said; images substituted.
    expect((await getJson<{ spec: { size: number } }>(['get', `widgets.${group}`, 'sprocket', '-n', ns])).spec.size).toBe(3);
    expect(await exists(['configmap', 'settings', '-n', ns])).toBe(true);
    const web = await deployment(ns, 'web');
    expect(web.spec.template.spec.containers[0]?.image).toBe('ghcr.io/acme/web:2');
    expect(web.status.readyReplicas).toBe(1);
    const job = await getJson<{ status: { succeeded?: number } }>(['get', 'job', 'migrate', '-n', ns]);
    expect(job.status.succeeded).toBe(1);
    expect(first.result?.phases.map((p) => p.name)).toEqual([expect.stringMatching(/^Apply 6 object\(s\) into /), 'Wait for readiness', 'Job migrate']);
    expect(first.result?.applied).toEqual({ created: 6 });

    const again = await act('apply: unchanged', { ...inputs, manifests: manifests('blue') });
    expect(again.exitCode, again.stdout).toBe(0);
    expect(actions(again)).toEqual(Object.fromEntries(Object.keys(actions(first)).map((k) => [k, 'unchanged'])));

    const changed = await act('apply: configured', { ...inputs, manifests: manifests('green') });
    expect(changed.exitCode, changed.stdout).toBe(0);
    expect(actions(changed)['ConfigMap/settings']).toBe('configured');
    expect(actions(changed)['Deployment/web']).toBe('unchanged');

    // Another field manager takes .data.color: our apply reports the conflict and changes nothing.
    await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=someone-else', '-n', ns, '-f', '-'], {
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { color: red }\n',
    });
    const conflict = await act('apply: conflict', { ...inputs, manifests: manifests('yellow') });
    expect(conflict.exitCode).toBe(1);
    expect(errorLines(conflict)).toEqual([expect.stringMatching(/apply of configmap\/settings in .* conflicts with another field manager: \.data\.color \(conflict with "someone-else".*set force-conflicts: true/)]);
    expect((await getJson<{ data: { color: string } }>(['get', 'configmap', 'settings', '-n', ns])).data.color).toBe('red');

    const forced = await act('apply: forced', { ...inputs, manifests: manifests('yellow'), 'force-conflicts': 'true' });
    expect(forced.exitCode, forced.stdout).toBe(0);
    expect(actions(forced)['ConfigMap/settings']).toBe('configured');
    expect((await getJson<{ data: { color: string } }>(['get', 'configmap', 'settings', '-n', ns])).data.color).toBe('yellow');
  });

  it('dry-run validates and changes nothing; a namespaced object without any namespace is refused before any change', async () => {
    const ns = await namespace('ops-apply-dry');
    const file = join(dir, `dry-${id}.yaml`);
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: dry }\ndata: { a: b }\n');
    const dry = await act('apply: dry run', { command: 'apply', namespace: ns, manifests: file, 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect(dry.stdout).toContain('created (dry run) configmap/dry');
    expect(await exists(['configmap', 'dry', '-n', ns])).toBe(false);

    const none = await act('apply: no namespace', { command: 'apply', manifests: file });
    expect(none.exitCode).toBe(1);
    expect(errorLines(none)[0]).toMatch(/manifests: configmap\/dry is namespaced but names no namespace/);
  });
});

describe('scale', () => {
  it('up, to 0, and back to the previous count when the quota cannot hold it', async () => {
    const ns = await namespace('ops-scale');
    await applyYaml(deploymentYaml('web', 'ghcr.io/acme/web:1'), ns);
    await rolloutStatus(ns, 'web');

    const up = await act('scale: 1 -> 3', { command: 'scale', namespace: ns, deployment: 'web', replicas: '3', timeout: '1m' });
    expect(up.exitCode, up.stdout).toBe(0);
    expect(up.result?.scale).toEqual({ deployment: 'web', from: 1, to: 3, reverted: false });
    expect((await deployment(ns, 'web')).status.readyReplicas).toBe(3);

    const dry = await act('scale: dry run', { command: 'scale', namespace: ns, deployment: 'web', replicas: '5', 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect((await deployment(ns, 'web')).spec.replicas).toBe(3);

    const zero = await act('scale: 3 -> 0', { command: 'scale', namespace: ns, deployment: 'web', replicas: '0', timeout: '1m' });
    expect(zero.exitCode, zero.stdout).toBe(0);
    const d0 = await deployment(ns, 'web');
    expect(d0.spec.replicas).toBe(0);
    expect(d0.status.replicas ?? 0).toBe(0);

    const quotaNs = await namespace('ops-scale-q', 'apiVersion: v1\nkind: ResourceQuota\nmetadata: { name: pods }\nspec: { hard: { pods: "2" } }\n');
    await applyYaml(deploymentYaml('web', 'ghcr.io/acme/web:1'), quotaNs);
    await rolloutStatus(quotaNs, 'web');
    const tooMany = await act('scale: over quota, reverted', { command: 'scale', namespace: quotaNs, deployment: 'web', replicas: '4', timeout: '2m' });
    expect(tooMany.exitCode).toBe(1);
    expect(tooMany.durationMs).toBeLessThan(60_000); // fail fast on FailedCreate, not at the 2-minute timeout
    expect(errorLines(tooMany)).toEqual([expect.stringMatching(/scaling deployment\/web to 4 failed, it was scaled back to 1: .*(FailedCreate|exceeded quota)/)]);
    expect(tooMany.result?.scale).toEqual({ deployment: 'web', from: 1, to: 4, reverted: true });
    const back = await deployment(quotaNs, 'web');
    expect(back.spec.replicas).toBe(1);
  });
});

describe('restart', () => {
  it('a deployment: new ReplicaSet and restartedAt annotation, as kubectl rollout restart', async () => {
    const ns = await namespace('ops-restart');
    await applyYaml(deploymentYaml('web', 'ghcr.io/acme/web:1', 2), ns);
    await rolloutStatus(ns, 'web');
    const dry = await act('restart: dry run', { command: 'restart', namespace: ns, deployment: 'web', 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect((await deployment(ns, 'web')).spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    const t0 = Date.now();
    const run = await act('restart: deployment', { command: 'restart', namespace: ns, deployment: 'web', timeout: '1m' });
    expect(run.exitCode, run.stdout).toBe(0);
    const d = await deployment(ns, 'web');
    const at = d.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? '';
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(Date.parse(at) - t0)).toBeLessThan(30_000);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status.readyReplicas).toBe(2);
    expect(d.status.updatedReplicas).toBe(2);
    expect(revisionsOf(await replicaSets(ns, 'web')).map((r) => r.revision)).toEqual([1, 2]);
    expect(run.outputs.revision).toBe('2');
  });

  it('a pod: deleted and replaced by a Ready pod of its controller; a bare pod is refused before anything is deleted', async () => {
    const ns = await namespace('ops-restart-pod');
    await applyYaml(deploymentYaml('web', 'ghcr.io/acme/web:1', 2), ns);
    await rolloutStatus(ns, 'web');
    const pods = await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'pods', '-n', ns, '-l', 'app=web']);
    const victim = pods.items[0]?.metadata.name ?? '';
    const dry = await act('restart: pod, dry run', { command: 'restart', namespace: ns, pod: victim, 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect(await exists(['pod', victim, '-n', ns])).toBe(true); // a dry run deletes nothing
    const run = await act('restart: pod', { command: 'restart', namespace: ns, pod: victim, timeout: '1m' });
    expect(run.exitCode, run.stdout).toBe(0);
    const replacement = (run.result?.restart as { replacement: string }).replacement;
    expect(replacement).toBeTruthy();
    expect(pods.items.map((p) => p.metadata.name)).not.toContain(replacement);
    const rp = await getJson<{ status: { conditions: { type: string; status: string }[] } }>(['get', 'pod', replacement, '-n', ns]);
    expect(rp.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');

    await applyYaml('apiVersion: v1\nkind: Pod\nmetadata: { name: bare }\nspec: { containers: [{ name: c, image: ghcr.io/acme/web:1 }] }\n', ns);
    const bare = await act('restart: bare pod refused', { command: 'restart', namespace: ns, pod: 'bare' });
    expect(bare.exitCode).toBe(1);
    expect(errorLines(bare)).toEqual([expect.stringMatching(/pod\/bare in .* has no controller .* bare pod.*refused, nothing was deleted/)]);
    expect(await exists(['pod', 'bare', '-n', ns])).toBe(true);
  });
});

describe('rollback', () => {
  it('matches kubectl rollout undo on an identical Deployment: previous, a given revision, already there, unknown', async () => {
    // Two namespaces, the same Deployment with the same history: `ours` is rolled back by the
    // action, `theirs` by kubectl rollout undo.
    const ours = await namespace('ops-rb-ours');
    const theirs = await namespace('ops-rb-kubectl');
    for (const ns of [ours, theirs]) {
      for (const v of ['1', '2', '3']) {
        await applyYaml(deploymentYaml('web', `ghcr.io/acme/web:${v}`, 2), ns);
        await kubectl(['annotate', '-n', ns, 'deployment/web', `kubernetes.io/change-cause=release ${v}`, '--overwrite']);
        await rolloutStatus(ns, 'web');
      }
    }
    const same = async (): Promise<void> => {
      const [a, b] = await Promise.all([deployment(ours, 'web'), deployment(theirs, 'web')]);
      expect(a.spec.template).toEqual(b.spec.template);
      // last-applied-configuration names each namespace; apart from that, identical.
      const strip = (d: Deploy, ns: string) => JSON.parse(JSON.stringify(d.metadata.annotations).replaceAll(ns, 'NS')) as Record<string, string>;
      expect(strip(a, ours)).toEqual(strip(b, theirs));
      expect(revisionsOf(await replicaSets(ours, 'web'))).toEqual(revisionsOf(await replicaSets(theirs, 'web')));
    };
    await same();

    const dry = await act('rollback: dry run', { command: 'rollback', namespace: ours, deployment: 'web', 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect(dry.outputs.revision).toBe('2');
    await same(); // nothing changed

    const prev = await act('rollback: previous', { command: 'rollback', namespace: ours, deployment: 'web', timeout: '1m' });
    await kubectl(['rollout', 'undo', 'deployment/web', '-n', theirs]);
    await rolloutStatus(theirs, 'web');
    expect(prev.exitCode, prev.stdout).toBe(0);
    expect(prev.outputs.revision).toBe('2');
    expect((await deployment(ours, 'web')).spec.template.spec.containers[0]?.image).toBe('ghcr.io/acme/web:2');
    expect((await deployment(ours, 'web')).status.readyReplicas).toBe(2);
    await same();

    const to1 = await act('rollback: to revision 1', { command: 'rollback', namespace: ours, deployment: 'web', revision: '1', timeout: '1m' });
    await kubectl(['rollout', 'undo', 'deployment/web', '-n', theirs, '--to-revision=1']);
    await rolloutStatus(theirs, 'web');
    expect(to1.exitCode, to1.stdout).toBe(0);
    expect(to1.outputs.revision).toBe('1');
    expect(to1.result?.rollback).toMatchObject({ from: 4, to: 1, newRevision: 5, skipped: false });
    await same();
    expect(revisionsOf(await replicaSets(ours, 'web')).map((r) => `${r.revision}:${r.image}`)).toEqual(['3:ghcr.io/acme/web:3', '4:ghcr.io/acme/web:2', '5:ghcr.io/acme/web:1']);

    const noop = await act('rollback: already there', { command: 'rollback', namespace: ours, deployment: 'web', revision: '5' });
    const kNoop = await kubectl(['rollout', 'undo', 'deployment/web', '-n', theirs, '--to-revision=5']);
    expect(noop.exitCode, noop.stdout).toBe(0);
    expect(noop.stdout).toContain('skipped rollback (current template already matches revision 5)');
    expect(kNoop.stdout).toContain('skipped rollback (current template already matches revision 5)');
    await same();

    const unknown = await act('rollback: unknown revision', { command: 'rollback', namespace: ours, deployment: 'web', revision: '2' });
    const kUnknown = await kubectl(['rollout', 'undo', 'deployment/web', '-n', theirs, '--to-revision=2'], { allowFail: true });
    expect(unknown.exitCode).toBe(1);
    expect(kUnknown.code).not.toBe(0);
    expect(kUnknown.stderr).toMatch(/unable to find specified revision 2 in history/);
    expect(errorLines(unknown)).toEqual([expect.stringMatching(/unable to find specified revision 2 in the history of deployment\/web; available revisions: 3, 4, 5 \(current: 5\)/)]);
    await same();
  });
});

describe('status and list', () => {
  it('status of a job (log lines printed safely), a deployment, a pod and the whole environment', async () => {
    const ns = await namespace('ops-status', 'apiVersion: v1\nkind: ResourceQuota\nmetadata: { name: env-quota }\nspec: { hard: { pods: "5", configmaps: "20" } }\n');
    await kubectl(['annotate', 'namespace', ns, 'kube-ephemeral.io/expires-at=2099-01-01T00:00:00Z']);
    const logFile = join(dir, `${ns}.log`);
    writeFileSync(logFile, criLog(['migrating 1', '::error::pwned by a pod', '##[warning]legacy command', 'done']));
    await registerPodLogs(ns, logFile);
    cleanups.push(() => unregisterPodLogs(ns));
    await applyYaml(deploymentYaml('web', 'ghcr.io/acme/web:1', 2), ns);
    await applyYaml('apiVersion: batch/v1\nkind: Job\nmetadata: { name: migrate }\nspec: { backoffLimit: 0, template: { spec: { restartPolicy: Never, containers: [{ name: migrate, image: local/test:pass }] } } }\n', ns);
    await rolloutStatus(ns, 'web');
    await kubectl(['wait', '--for=condition=complete', 'job/migrate', '-n', ns, '--timeout=60s']);

    const job = await act('status: job', { command: 'status', namespace: ns, resource: 'job/migrate' });
    expect(job.exitCode, job.stdout).toBe(0);
    const js = job.result?.resource as { ready: boolean; state: string; logs: { lines: string[] }[]; conditions: { type: string }[] };
    expect(js).toMatchObject({ ready: true, state: 'succeeded' });
    expect(js.conditions.map((c) => c.type)).toContain('Complete');
    expect(js.logs[0]?.lines).toEqual(['migrating 1', '::error::pwned by a pod', '##[warning]legacy command', 'done']);
    expect(job.lines).toContain('::error::pwned by a pod'); // printed as it is, but inside a stop-commands section
    expect(errorLines(job)).toEqual([]);
    expect(job.summary).toContain('Last log lines of pod/migrate-');
    expect(job.summary).not.toContain('<b>');

    const dep = await act('status: deployment', { command: 'status', namespace: ns, resource: 'deployment/web' });
    expect(dep.exitCode, dep.stdout).toBe(0);
    expect(dep.result?.resource).toMatchObject({ ready: true, readiness: '2/2', state: 'ready' });
    expect((dep.result?.resource as { pods: unknown[] }).pods).toHaveLength(2);

    const podName = (await getJson<{ items: { metadata: { name: string } }[] }>(['get', 'pods', '-n', ns, '-l', 'app=web'])).items[0]?.metadata.name ?? '';
    const pod = await act('status: pod', { command: 'status', namespace: ns, resource: `pod/${podName}` });
    expect(pod.exitCode, pod.stdout).toBe(0);
    expect(pod.result?.resource).toMatchObject({ ready: true, state: 'ready', logs: [expect.objectContaining({ container: 'web', lines: expect.arrayContaining(['done']) })] });

    const env = await act('status: environment', { command: 'status', namespace: ns });
    expect(env.exitCode, env.stdout).toBe(0);
    const es = env.result?.environment as { ready: boolean; expiresAt: string; workloads: { kind: string; name: string; state: string }[]; quota: { resource: string; used: string; hard: string }[] };
    expect(es.expiresAt).toBe('2099-01-01T00:00:00Z');
    expect(es.workloads).toEqual([
      expect.objectContaining({ kind: 'Deployment', name: 'web', ready: '2/2', state: 'ready' }),
      expect.objectContaining({ kind: 'Job', name: 'migrate', state: 'succeeded' }),
    ]);
    expect(es.quota).toContainEqual({ quota: 'env-quota', resource: 'pods', used: '2', hard: '5' });
    expect(env.summary).toContain('<th>Resource</th>');
    expect(env.result).not.toHaveProperty('summarySections');

    const missing = await act('status: missing', { command: 'status', namespace: ns, resource: 'deployment/nope' });
    expect(missing.exitCode).toBe(1);
    expect(errorLines(missing)).toEqual([expect.stringMatching(/deployment\/nope not found in namespace/)]);
  });

  it('list: every managed environment with repo, PR, age, expiry and phase, as a table and JSON', async () => {
    const ns = await namespace('ops-list');
    await kubectl(['label', 'namespace', ns, 'app.kubernetes.io/managed-by=kube-ephemeral', 'kube-ephemeral.io/repo=acme.shop', 'kube-ephemeral.io/pr=4242']);
    await kubectl(['annotate', 'namespace', ns, 'kube-ephemeral.io/expires-at=2099-01-01T00:00:00Z', 'kube-ephemeral.io/repository=acme/shop']);
    const run = await act('list', { command: 'list' });
    expect(run.exitCode, run.stdout).toBe(0);
    const rows = run.result?.environments as { namespace: string; repository: string; pr: string; expiresAt: string; phase: string; ageSeconds: number }[];
    expect(rows.find((r) => r.namespace === ns)).toMatchObject({ repository: 'acme/shop', pr: '4242', expiresAt: '2099-01-01T00:00:00Z', phase: 'Active' });
    expect(run.summary).toContain('<th>Expires at</th>');
    expect(run.summary).toContain(`<td>${ns}</td>`);
  });
});

describe('rollback of a long-lived namespace when up fails', () => {
  it('post restores the recorded revision of the changed Deployment and deletes the Deployment the run created', async () => {
    const ns = await namespace('ops-ll');
    const inputs = { namespace: ns, comment: 'false', 'github-deployment': 'false', timeout: '2m', kubeconfig: restrictedKubeconfig() };
    const good = await runMainAndPost({ inputs: { ...inputs, 'app-image': 'ghcr.io/acme/shop:1' }, eventName: 'workflow_dispatch', event: {} });
    expect(good.main.exitCode, good.main.stdout).toBe(0);
    expect(good.post.stdout).toContain('keeps its changes');
    const before = await deployment(ns, 'app');
    expect(before.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const extra = join(dir, `extra-${ns}.yaml`);
    writeFileSync(extra, deploymentYaml('extra', 'ghcr.io/acme/extra:1'));
    const t0 = Date.now();
    const bad = await runMainAndPost({ inputs: { ...inputs, 'app-image': 'local/app:bad-image', manifests: extra }, eventName: 'workflow_dispatch', event: {} });
    timings['up long-lived failed + post'] = Date.now() - t0;
    expect(bad.main.exitCode).toBe(1);
    expect(errorLines(bad.main)[0]).toMatch(/deployment\/app in .* failed: ImagePullBackOff/);
    expect(JSON.parse(bad.main.state.deployments ?? '{}')).toEqual({ app: 1, extra: null });
    expect(bad.post.exitCode, bad.post.stdout).toBe(0);
    expect(bad.post.stdout).toContain('deployment/app: rolled-back: from revision 2 back to the template of revision 1 (ghcr.io/acme/shop:1)');
    expect(bad.post.stdout).toContain('deployment/extra: deleted');
    expect(bad.post.summary).toContain('rollback of');

    const after = await deployment(ns, 'app');
    expect(after.spec.template.spec.containers[0]?.image).toBe('ghcr.io/acme/shop:1');
    expect(after.spec.template).toEqual(before.spec.template);
    expect(after.status.readyReplicas).toBe(1);
    // kubectl's semantics: the ReplicaSet of revision 1 is reused and becomes revision 3.
    expect(revisionsOf(await replicaSets(ns, 'app'))).toEqual([
      { revision: 2, history: '', image: 'local/app:bad-image' },
      { revision: 3, history: '1', image: 'ghcr.io/acme/shop:1' },
    ]);
    const extraGone = await kubectl(['get', 'deployment', 'extra', '-n', ns, '--ignore-not-found', '-o', 'name']);
    expect(extraGone.stdout.trim()).toBe('');
  });
});
