import type { CommandDeps } from '../commands/types.js';
import { mapLimit } from '../concurrency.js';
import { ActionError } from '../errors.js';
import { Discovery } from './discovery.js';
import { isForbidden } from './errors.js';
import type { Kube } from './http.js';
import { CLUSTER_ROLE, KNOWN_KINDS, dedupe, describeCheck, missingRules, permissionMessage, rulesYaml, type AccessCheck, type ResourceRef } from './permissions.js';
import type { KubeObject } from './types.js';

export type { AccessCheck } from './permissions.js';
export { permissionsFor, applyChecks } from './permissions.js';

interface AccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

export type AccessDeps = Pick<CommandDeps, 'kube' | 'signal' | 'log'> & { readonly inputs: Pick<CommandDeps['inputs'], 'command'> };

/** Asks the API server whether the credentials may do one thing (SelfSubjectAccessReview). */
export async function canI(kube: Kube, c: AccessCheck, signal?: AbortSignal): Promise<boolean> {
  const review = await kube.request<AccessReview>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          verb: c.verb,
          group: c.group,
          resource: c.resource,
          ...(c.subresource ? { subresource: c.subresource } : {}),
          ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
        },
      },
    },
    retry: true, // a review changes nothing
    ...(signal ? { signal } : {}),
  });
  return review.status?.allowed === true;
}

/**
 * Fails before any change when the credentials lack a permission the command needs, naming
 * every missing verb/resource and the exact rule to add to the ClusterRole.
 */
export async function requirePermissions(deps: AccessDeps, checks: readonly AccessCheck[]): Promise<void> {
  const unique = dedupe(checks);
  if (!unique.length) return;
  let answers: boolean[];
  try {
    answers = await mapLimit(unique, 10, (c) => canI(deps.kube, c, deps.signal));
  } catch (err) {
    if (isForbidden(err)) {
      throw new ActionError(
        `${deps.inputs.command}: cannot check permissions: creating a SelfSubjectAccessReview is forbidden; add to ClusterRole ${CLUSTER_ROLE}: {apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews"], verbs: ["create"]}`,
      );
    }
    throw err;
  }
  const missing = unique.filter((_, i) => !answers[i]);
  if (!missing.length) {
    deps.log.debug(`permissions: ${unique.length} checked, all granted`);
    return;
  }
  throw new ActionError(permissionMessage(deps.inputs.command, missing), [
    'Missing (SelfSubjectAccessReview):',
    ...missing.map((c) => `  ${describeCheck(c)}`),
    ...rulesYaml(missingRules(missing)),
  ]);
}

/**
 * The resource types of objects about to be applied: built-in kinds from a table, others through
 * discovery. Kinds the server does not know yet (a CRD applied in the same run) are left out;
 * the apply itself reports those.
 */
export async function resourceRefs(kube: Kube, objects: readonly KubeObject[]): Promise<ResourceRef[]> {
  const discovery = new Discovery(kube);
  const refs = new Map<string, ResourceRef>();
  for (const o of objects) {
    const kind = o.kind ?? '';
    const known = KNOWN_KINDS[kind];
    const group = (o.apiVersion ?? '').includes('/') ? (o.apiVersion ?? '').split('/')[0] ?? '' : '';
    if (known && known.group === group) {
      refs.set(`${known.group}|${known.resource}`, known);
      continue;
    }
    try {
      const info = await discovery.lookup(o.apiVersion ?? '', kind);
      refs.set(`${group}|${info.resource}`, { group, resource: info.resource, namespaced: info.namespaced });
    } catch {
      // unknown to the server for now (e.g. its CRD comes with the same manifests)
    }
  }
  return [...refs.values()];
}
