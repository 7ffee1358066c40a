/**
 * What each command needs from the Kubernetes API, as SelfSubjectAccessReview checks, and how a
 * missing permission is told: the exact RBAC rule to add to the ClusterRole of
 * rbac/kube-ephemeral.yaml. Pure.
 */

export interface AccessCheck {
  readonly verb: string;
  /** API group, '' for the core group. */
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  /** Namespaced checks name the namespace; cluster-scoped ones (and "in every namespace") leave it out. */
  readonly namespace?: string;
}

/** A resource type, as RBAC names it. */
export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

/** The ClusterRole holding cluster-scoped rights (namespaces, self-reviews, CRD reads). */
export const CLUSTER_ROLE = 'kube-ephemeral';
/** The ClusterRole holding the rights inside the environments' namespaces. */
export const ENVIRONMENT_ROLE = 'kube-ephemeral-environment';
export const RBAC_FILE = 'rbac/kube-ephemeral.yaml';

const CORE = '';
const APPS = 'apps';
const BATCH = 'batch';
const COORD = 'coordination.k8s.io';

function many(group: string, resources: readonly string[], verbs: readonly string[], namespace: string | undefined): AccessCheck[] {
  const out: AccessCheck[] = [];
  for (const r of resources) {
    const [resource = r, subresource] = r.split('/');
    for (const verb of verbs) out.push({ verb, group, resource, ...(subresource ? { subresource } : {}), ...(namespace !== undefined ? { namespace } : {}) });
  }
  return out;
}

/** Built-in kinds the action applies, with their RBAC resource (custom kinds go through discovery). */
export const KNOWN_KINDS: Readonly<Record<string, ResourceRef>> = {
  Namespace: { group: CORE, resource: 'namespaces', namespaced: false },
  ConfigMap: { group: CORE, resource: 'configmaps', namespaced: true },
  Secret: { group: CORE, resource: 'secrets', namespaced: true },
  Service: { group: CORE, resource: 'services', namespaced: true },
  ServiceAccount: { group: CORE, resource: 'serviceaccounts', namespaced: true },
  PersistentVolumeClaim: { group: CORE, resource: 'persistentvolumeclaims', namespaced: true },
  ResourceQuota: { group: CORE, resource: 'resourcequotas', namespaced: true },
  LimitRange: { group: CORE, resource: 'limitranges', namespaced: true },
  Pod: { group: CORE, resource: 'pods', namespaced: true },
  Deployment: { group: APPS, resource: 'deployments', namespaced: true },
  StatefulSet: { group: APPS, resource: 'statefulsets', namespaced: true },
  DaemonSet: { group: APPS, resource: 'daemonsets', namespaced: true },
  Job: { group: BATCH, resource: 'jobs', namespaced: true },
  CronJob: { group: BATCH, resource: 'cronjobs', namespaced: true },
  NetworkPolicy: { group: 'networking.k8s.io', resource: 'networkpolicies', namespaced: true },
  Ingress: { group: 'networking.k8s.io', resource: 'ingresses', namespaced: true },
  PodDisruptionBudget: { group: 'policy', resource: 'poddisruptionbudgets', namespaced: true },
  HorizontalPodAutoscaler: { group: 'autoscaling', resource: 'horizontalpodautoscalers', namespaced: true },
  Role: { group: 'rbac.authorization.k8s.io', resource: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespaced: true },
};

/** Server-side apply: PATCH, plus create when the object does not exist yet. */
export function applyChecks(refs: readonly ResourceRef[], namespace: string): AccessCheck[] {
  return refs.flatMap((r) => many(r.group, [r.resource], ['create', 'patch'], r.namespaced ? namespace : undefined));
}

/** Watching workloads become ready, with the evidence of a failure (events, log tail). */
function readiness(ns: string): AccessCheck[] {
  return [
    ...many(APPS, ['deployments', 'statefulsets', 'replicasets'], ['list', 'watch'], ns),
    ...many(CORE, ['pods', 'events'], ['list', 'watch'], ns),
    ...many(CORE, ['pods/log'], ['get'], ns),
  ];
}

/** Creating a Job, following its pods and their logs. */
function jobRun(ns: string): AccessCheck[] {
  return [...many(BATCH, ['jobs'], ['create', 'list', 'watch'], ns), ...many(CORE, ['pods', 'events'], ['list', 'watch'], ns), ...many(CORE, ['pods/log'], ['get'], ns)];
}

/** The environment lock: a Lease in the namespace, watched while held. */
export function lockChecks(ns: string): AccessCheck[] {
  return many(COORD, ['leases'], ['get', 'list', 'watch', 'create', 'patch'], ns);
}

export type PermissionCommand = 'up' | 'down' | 'cleanup' | 'list' | 'status' | 'apply' | 'scale' | 'restart' | 'rollback' | 'run-job';

export interface UpNeeds {
  /** ephemeral: the action creates (and may delete) the namespace; long-lived: it is given. */
  readonly mode: 'ephemeral' | 'long-lived';
  /** Post deletes the namespace (on-success or on-failure is delete). */
  readonly deletesAfter: boolean;
  /** What will be applied (the plan and the user's manifests), as resource types. */
  readonly applies: readonly ResourceRef[];
  /** A Secret is read to reuse a database password. */
  readonly readsSecrets: boolean;
  readonly runsJob: boolean;
}

/**
 * The checks of a command in `namespace`, for requirePermissions (src/kube/access.ts). `up` and
 * `apply` also take what they will write (`applies`, from resourceRefs); the others need nothing more.
 */
export function permissionsFor(command: PermissionCommand, namespace: string, needs: Partial<UpNeeds> = {}): AccessCheck[] {
  const ns = namespace;
  switch (command) {
    case 'up': {
      const u: UpNeeds = { mode: 'ephemeral', deletesAfter: true, applies: [], readsSecrets: false, runsJob: false, ...needs };
      const out: AccessCheck[] = [...many(CORE, ['namespaces'], ['get'], undefined)];
      if (u.mode === 'ephemeral') {
        out.push(...many(CORE, ['namespaces'], ['list', 'watch', 'create', 'patch', ...(u.deletesAfter ? ['delete'] : [])], undefined));
        out.push(...many(CORE, ['serviceaccounts'], ['list', 'watch'], ns), ...lockChecks(ns));
        out.push(...many(CORE, ['resourcequotas'], ['list'], ns));
      } else {
        // Revisions recorded before the change; a failed run is rolled back (created Deployments deleted).
        out.push(...many(APPS, ['deployments'], ['get', 'patch', 'delete'], ns), ...many(APPS, ['replicasets'], ['list'], ns));
      }
      if (u.readsSecrets) out.push(...many(CORE, ['secrets'], ['get'], ns));
      out.push(...applyChecks(u.applies, ns), ...readiness(ns));
      if (u.runsJob) out.push(...jobRun(ns));
      return dedupe(out);
    }
    case 'down':
      return dedupe([...many(CORE, ['namespaces'], ['get', 'list', 'watch', 'delete'], undefined), ...lockChecks(ns)]);
    case 'cleanup':
      // Leases of every namespace in one list: an expired environment whose run is still alive is kept.
      return dedupe([...many(CORE, ['namespaces'], ['list', 'watch', 'delete'], undefined), ...many(COORD, ['leases'], ['list'], undefined)]);
    case 'list':
      return many(CORE, ['namespaces'], ['list'], undefined);
    case 'status':
      return dedupe([
        ...many(APPS, ['deployments', 'statefulsets'], ['get', 'list'], ns),
        ...many(APPS, ['replicasets'], ['list'], ns),
        ...many(BATCH, ['jobs'], ['get', 'list'], ns),
        ...many(CORE, ['pods'], ['get', 'list'], ns),
        ...many(CORE, ['events', 'resourcequotas'], ['list'], ns),
      ]);
    case 'apply':
      return dedupe([...applyChecks(needs.applies ?? [], ns), ...readiness(ns)]);
    case 'scale':
      return dedupe([...many(APPS, ['deployments'], ['get'], ns), ...many(APPS, ['deployments/scale'], ['patch'], ns), ...readiness(ns)]);
    case 'restart':
      return dedupe([...many(APPS, ['deployments'], ['get', 'patch'], ns), ...many(CORE, ['pods'], ['get', 'delete'], ns), ...readiness(ns)]);
    case 'rollback':
      return dedupe([...many(APPS, ['deployments'], ['get', 'patch'], ns), ...many(APPS, ['replicasets'], ['list'], ns), ...readiness(ns)]);
    case 'run-job':
      return dedupe(jobRun(ns));
  }
}

export const checkKey = (c: AccessCheck): string => [c.verb, c.group, c.resource, c.subresource ?? '', c.namespace ?? '*'].join('|');

export function dedupe(checks: readonly AccessCheck[]): AccessCheck[] {
  const seen = new Map<string, AccessCheck>();
  for (const c of checks) if (!seen.has(checkKey(c))) seen.set(checkKey(c), c);
  return [...seen.values()];
}

/** `patch deployments.apps in namespace pr-7-shop`, as kubectl auth can-i would put it. */
export function describeCheck(c: AccessCheck): string {
  const res = `${c.resource}${c.subresource ? `/${c.subresource}` : ''}${c.group ? `.${c.group}` : ''}`;
  const where = c.namespace !== undefined ? ` in namespace ${c.namespace}` : CLUSTER_SCOPED.has(c.resource) ? '' : ' in all namespaces';
  return `${c.verb} ${res}${where}`;
}

const CLUSTER_SCOPED = new Set(['namespaces', 'customresourcedefinitions', 'selfsubjectaccessreviews', 'nodes', 'clusterroles', 'clusterrolebindings']);

export interface MissingRule {
  /** The ClusterRole of rbac/kube-ephemeral.yaml the rule belongs in. */
  readonly role: string;
  readonly group: string;
  readonly resource: string;
  readonly verbs: readonly string[];
}

/** The rules that grant what is missing, one per resource, in the ClusterRole where it belongs. */
export function missingRules(missing: readonly AccessCheck[]): MissingRule[] {
  const byKey = new Map<string, { role: string; group: string; resource: string; verbs: string[] }>();
  for (const c of missing) {
    const resource = `${c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
    const role = CLUSTER_SCOPED.has(c.resource) ? CLUSTER_ROLE : ENVIRONMENT_ROLE;
    const key = `${role}|${c.group}|${resource}`;
    const r = byKey.get(key) ?? { role, group: c.group, resource, verbs: [] };
    if (!r.verbs.includes(c.verb)) r.verbs.push(c.verb);
    byKey.set(key, r);
  }
  return [...byKey.values()];
}

const q = (s: string): string => JSON.stringify(s);

/** One rule as YAML flow style: `{apiGroups: ["apps"], resources: ["deployments"], verbs: ["patch"]}`. */
export function ruleInline(r: MissingRule): string {
  return `{apiGroups: [${q(r.group)}], resources: [${q(r.resource)}], verbs: [${r.verbs.map(q).join(', ')}]}`;
}

/** The rules as the block YAML to paste under `rules:` of each ClusterRole. */
export function rulesYaml(rules: readonly MissingRule[]): string[] {
  const lines: string[] = [];
  for (const role of [...new Set(rules.map((r) => r.role))]) {
    lines.push(`# add to ClusterRole ${role} (${RBAC_FILE}), under rules:`);
    for (const r of rules.filter((x) => x.role === role)) {
      lines.push(`- apiGroups: [${q(r.group)}]`, `  resources: [${q(r.resource)}]`, `  verbs: [${r.verbs.map(q).join(', ')}]`);
    }
  }
  return lines;
}

/** The one-line error of a command that lacks permissions. */
export function permissionMessage(command: string, missing: readonly AccessCheck[]): string {
  const rules = missingRules(missing);
  const roles = [...new Set(rules.map((r) => r.role))];
  const add = roles.map((role) => `add to ClusterRole ${role}: ${rules.filter((r) => r.role === role).map(ruleInline).join(', ')}`).join('; ');
  return `${command}: the Kubernetes credentials lack ${missing.length === 1 ? 'a permission' : `${missing.length} permissions`} (checked before any change): cannot ${missing.map(describeCheck).join(', cannot ')}; ${add}`;
}
