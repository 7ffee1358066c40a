import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteNamespaces, exists, getJson, kubectl, restrictedKubeconfig } from './helpers/cluster.js';
import { REPO_ROOT, pullRequestEvent, runAction, type ActionRun } from './helpers/run-action.js';

/**
 * Least privilege: every command works with exactly rbac/kube-ephemeral.yaml (the restricted
 * kubeconfig), and a permission taken away from it fails the command before any change, naming
 * the missing verb/resource and the rule to add. The reduced roles are bound to ServiceAccounts
 * this test creates.
 */
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
const docs = loadAll(readFileSync(join(REPO_ROOT, 'rbac/kube-ephemeral.yaml'), 'utf8')) as { kind: string; rules?: Rule[] }[];
const allRules = docs.filter((d) => d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []);

/** Both ClusterRoles' rules in one, without `verb` on `resource` of `group`. */
function without(group: string, resource: string, verb: string): Rule[] {
  return allRules.flatMap((r) => {
    if (!r.apiGroups.includes(group) || !r.resources.includes(resource) || !r.verbs.includes(verb)) return [r];
    const rest = r.resources.filter((x) => x !== resource);
    return [...(rest.length ? [{ ...r, resources: rest }] : []), { apiGroups: r.apiGroups, resources: [resource], verbs: r.verbs.filter((v) => v !== verb) }];
  });
}

const tag = Math.random().toString(36).slice(2, 7);
const saNamespace = `ke-perm-${tag}`;
const reduced = {
  noPatchDeployments: without('apps', 'deployments', 'patch'),
  noDeleteNamespaces: without('', 'namespaces', 'delete'),
};
type Reduced = keyof typeof reduced;
const kubeconfigs: Partial<Record<Reduced, string>> = {};
const created: string[] = [];
let nextPr = 600_000 + Math.floor(Math.random() * 90_000);
const pr = (): { number: number; ns: string } => {
  const number = nextPr++;
  created.push(`pr-${number}-shop`);
  return { number, ns: `pr-${number}-shop` };
};

beforeAll(async () => {
  await kubectl(['create', 'namespace', saNamespace]);
  for (const [key, rules] of Object.entries(reduced) as [Reduced, Rule[]][]) {
    const name = `ke-${tag}-${key.toLowerCase()}`;
    await kubectl(['create', 'serviceaccount', name, '-n', saNamespace]);
    const objects = [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: saNamespace }],
      },
    ];
    await kubectl(['apply', '-f', '-'], { input: objects.map((o) => dump(o)).join('---\n') });
    const token = (await kubectl(['create', 'token', name, '-n', saNamespace, '--duration=1h'])).stdout.trim();
    kubeconfigs[key] = restrictedKubeconfig().replace(/token: .*/, `token: ${token}`);
  }
});

afterAll(async () => {
  const names = Object.keys(reduced).map((k) => `ke-${tag}-${k.toLowerCase()}`);
  await kubectl(['delete', 'clusterrolebinding,clusterrole', ...names, '--ignore-not-found'], { allowFail: true });
  await deleteNamespaces(saNamespace, ...created);
});

const errorLine = (r: ActionRun): string => r.lines.find((l) => l.startsWith('::error')) ?? '';

describe('least privilege', () => {
  it('up (app, database, test Job, ingress), list and down all succeed with exactly rbac/kube-ephemeral.yaml', async () => {
    const { number, ns } = pr();
    const event = pullRequestEvent({ number });
    const up = await runAction({
      inputs: {
        kubeconfig: restrictedKubeconfig(),
        'app-image': 'local/app:1',
        database: 'postgresql',
        'test-image': 'local/test:pass',
        'ingress-host': 'pr-{pr}.preview.example.com',
        'on-success': 'keep',
      },
      event,
    });
    expect(up.exitCode, up.stdout).toBe(0);
    expect(up.outputs['test-result']).toBe('passed');
    const list = await runAction({ inputs: { command: 'list', kubeconfig: restrictedKubeconfig() }, eventName: 'workflow_dispatch' });
    expect(list.exitCode, list.stdout).toBe(0);
    expect(list.stdout).toContain(ns);
    const down = await runAction({ inputs: { command: 'down', kubeconfig: restrictedKubeconfig() }, event: pullRequestEvent({ number, state: 'closed', action: 'closed' }) });
    expect(down.exitCode, down.stdout).toBe(0);
    expect(await exists(['namespace', ns])).toBe(false);
  });

  it('up without patch on deployments fails before any change, naming the verb, the resource and the rule', async () => {
    const { number, ns } = pr();
    const run = await runAction({ inputs: { kubeconfig: kubeconfigs.noPatchDeployments ?? '', 'app-image': 'local/app:1' }, event: pullRequestEvent({ number }) });
    expect(run.exitCode).toBe(1);
    expect(errorLine(run)).toContain(
      `up: the Kubernetes credentials lack a permission (checked before any change): cannot patch deployments.apps in namespace ${ns}; add to ClusterRole kube-ephemeral-environment: {apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"]}`,
    );
    expect(run.stdout).toContain('# add to ClusterRole kube-ephemeral-environment (rbac/kube-ephemeral.yaml), under rules:\n- apiGroups: ["apps"]\n  resources: ["deployments"]\n  verbs: ["patch"]');
    expect(await exists(['namespace', ns])).toBe(false);
    expect(run.state.namespace).toBeUndefined(); // post has nothing to clean up
  });

  it('cleanup and down without delete on namespaces fail before deleting anything; an up that keeps its namespace does not need it', async () => {
    const { number, ns } = pr();
    const kubeconfig = kubeconfigs.noDeleteNamespaces ?? '';
    const keep = await runAction({ inputs: { kubeconfig, 'app-image': 'local/app:1', 'on-success': 'keep', 'on-failure': 'keep', ttl: '1m' }, event: pullRequestEvent({ number }) });
    expect(keep.exitCode, keep.stdout).toBe(0);
    const rule = 'add to ClusterRole kube-ephemeral: {apiGroups: [""], resources: ["namespaces"], verbs: ["delete"]}';

    const down = await runAction({ inputs: { command: 'down', kubeconfig }, event: pullRequestEvent({ number, state: 'closed', action: 'closed' }) });
    expect(down.exitCode).toBe(1);
    expect(errorLine(down)).toContain(`down: the Kubernetes credentials lack a permission (checked before any change): cannot delete namespaces; ${rule}`);

    // The environment expires: cleanup would delete it, but may not.
    await kubectl(['annotate', 'namespace', ns, '--overwrite', `kube-ephemeral.io/expires-at=${new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z')}`]);
    const cleanup = await runAction({ inputs: { command: 'cleanup', kubeconfig }, eventName: 'schedule' });
    expect(cleanup.exitCode).toBe(1);
    expect(errorLine(cleanup)).toContain(`cleanup: the Kubernetes credentials lack a permission (checked before any change): cannot delete namespaces; ${rule}`);

    const deleting = await getJson<{ metadata: { deletionTimestamp?: string } }>(['get', 'namespace', ns]);
    expect(deleting.metadata.deletionTimestamp).toBeUndefined();
    const up = await runAction({ inputs: { kubeconfig, 'app-image': 'local/app:1' }, event: pullRequestEvent({ number }) });
    expect(up.exitCode).toBe(1);
    expect(errorLine(up)).toContain('cannot delete namespaces'); // its post step would delete the namespace
  });
});
