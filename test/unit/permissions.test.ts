import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_ROLE,
  ENVIRONMENT_ROLE,
  KNOWN_KINDS,
  applyChecks,
  describeCheck,
  missingRules,
  permissionMessage,
  permissionsFor,
  rulesYaml,
  type AccessCheck,
  type PermissionCommand,
} from '../../src/kube/permissions.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string };
  rules?: Rule[];
  roleRef?: { name: string };
  subjects?: { kind: string; name: string }[];
}

const docs = loadAll(readFileSync(join(import.meta.dirname, '../../rbac/kube-ephemeral.yaml'), 'utf8')) as Doc[];
const roles = new Map(docs.filter((d) => d.kind === 'ClusterRole').map((d) => [d.metadata.name, d.rules ?? []]));

const resourceOf = (c: AccessCheck): string => `${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
function granted(c: AccessCheck): boolean {
  return [...roles.values()].some((rules) => rules.some((r) => r.apiGroups.includes(c.group) && r.resources.includes(resourceOf(c)) && r.verbs.includes(c.verb)));
}

const ns = 'pr-7-shop';
const COMMANDS: PermissionCommand[] = ['up', 'down', 'cleanup', 'list', 'status', 'apply', 'scale', 'restart', 'rollback', 'run-job'];
const templateKinds = ['Namespace', 'LimitRange', 'ResourceQuota', 'NetworkPolicy', 'Secret', 'StatefulSet', 'Service', 'Deployment', 'Ingress'];
const refs = (kinds: readonly string[]) => kinds.map((k) => KNOWN_KINDS[k]!);

/** Every check any command can make with what the templates produce. */
const everything: AccessCheck[] = [
  ...COMMANDS.flatMap((c) => permissionsFor(c, ns)),
  ...permissionsFor('up', ns, { mode: 'ephemeral', deletesAfter: true, readsSecrets: true, runsJob: true, applies: refs(templateKinds) }),
  ...permissionsFor('up', ns, { mode: 'long-lived', deletesAfter: false, readsSecrets: true, runsJob: true, applies: refs(templateKinds.slice(4)) }),
];

describe('rbac/kube-ephemeral.yaml', () => {
  it('grants every check of every command (the restricted kubeconfig runs them all)', () => {
    const missing = everything.filter((c) => !granted(c)).map(describeCheck);
    expect(missing).toEqual([]);
  });

  it('grants nothing the action does not use (least privilege)', () => {
    const used = new Set(everything.map((c) => `${c.group}|${resourceOf(c)}|${c.verb}`));
    // Used outside permissionsFor: the checks themselves; naming what keeps a namespace from
    // deleting (configmaps); kinds of the user's own manifests that are applied as they are.
    for (const extra of [
      'authorization.k8s.io|selfsubjectaccessreviews|create',
      '|configmaps|list',
      ...['configmaps', 'serviceaccounts', 'persistentvolumeclaims'].flatMap((r) => [`|${r}|create`, `|${r}|patch`]),
    ]) {
      used.add(extra);
    }
    const extra: string[] = [];
    for (const [role, rules] of roles) {
      for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) if (!used.has(`${g}|${res}|${v}`)) extra.push(`${role}: ${v} ${res}.${g}`);
    }
    expect(extra).toEqual([]);
    expect([...roles.values()].flat().some((r) => r.verbs.includes('update') || r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
  });

  it('keeps cluster-scoped rights and in-namespace rights in two ClusterRoles, both bound to the action', () => {
    expect([...roles.keys()].sort()).toEqual([CLUSTER_ROLE, ENVIRONMENT_ROLE].sort());
    expect(roles.get(CLUSTER_ROLE)?.flatMap((r) => r.resources).sort()).toEqual(['namespaces', 'selfsubjectaccessreviews']);
    const bound = docs.filter((d) => d.kind === 'ClusterRoleBinding').map((d) => [d.roleRef?.name, d.subjects?.[0]?.name]);
    expect(bound).toEqual(expect.arrayContaining([[CLUSTER_ROLE, 'kube-ephemeral'], [ENVIRONMENT_ROLE, 'kube-ephemeral']]));
    // Secrets are read by name only: never listed or watched across the cluster.
    expect(roles.get(ENVIRONMENT_ROLE)?.find((r) => r.resources.includes('secrets'))?.verbs).toEqual(['get', 'create', 'patch']);
  });
});

describe('permissionsFor', () => {
  it('cleanup: namespaces cluster-wide, leases listed across namespaces', () => {
    expect(permissionsFor('cleanup', '').map(describeCheck)).toEqual([
      'list namespaces',
      'watch namespaces',
      'delete namespaces',
      'list leases.coordination.k8s.io in all namespaces',
    ]);
  });
  it('up: the post step deleting the namespace is checked up front, and only then', () => {
    const del = (c: AccessCheck) => c.verb === 'delete' && c.resource === 'namespaces';
    expect(permissionsFor('up', ns, { deletesAfter: true }).some(del)).toBe(true);
    expect(permissionsFor('up', ns, { deletesAfter: false }).some(del)).toBe(false);
    expect(permissionsFor('up', ns, { mode: 'long-lived' }).some((c) => c.resource === 'leases')).toBe(false);
  });
  it('apply checks: create + patch, namespaced in the namespace, cluster-scoped without one', () => {
    expect(applyChecks(refs(['Deployment', 'Namespace']), ns).map(describeCheck)).toEqual([
      'create deployments.apps in namespace pr-7-shop',
      'patch deployments.apps in namespace pr-7-shop',
      'create namespaces',
      'patch namespaces',
    ]);
  });
});

describe('the error of a missing permission', () => {
  const missing: AccessCheck[] = [
    { verb: 'patch', group: 'apps', resource: 'deployments', namespace: ns },
    { verb: 'create', group: 'apps', resource: 'deployments', namespace: ns },
    { verb: 'delete', group: '', resource: 'namespaces' },
    { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: ns },
  ];
  it('names each missing verb/resource and the exact rule to add, in the right ClusterRole', () => {
    expect(permissionMessage('up', missing)).toBe(
      'up: the Kubernetes credentials lack 4 permissions (checked before any change): cannot patch deployments.apps in namespace pr-7-shop, cannot create deployments.apps in namespace pr-7-shop, cannot delete namespaces, cannot get pods/log in namespace pr-7-shop; ' +
        'add to ClusterRole kube-ephemeral-environment: {apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch", "create"]}, {apiGroups: [""], resources: ["pods/log"], verbs: ["get"]}; ' +
        'add to ClusterRole kube-ephemeral: {apiGroups: [""], resources: ["namespaces"], verbs: ["delete"]}',
    );
    expect(missingRules(missing)).toHaveLength(3);
    expect(rulesYaml(missingRules(missing.slice(2, 3)))).toEqual([
      '# add to ClusterRole kube-ephemeral (rbac/kube-ephemeral.yaml), under rules:',
      '- apiGroups: [""]',
      '  resources: ["namespaces"]',
      '  verbs: ["delete"]',
    ]);
  });
});
