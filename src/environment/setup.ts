import type { KubeObject } from '../kube/types.js';
import { ANNOTATION, LABEL } from './ownership.js';
import { listEntry, specOf, stamp } from './fill.js';
import type { PodBudget, Quota } from './resources.js';
import { templateObject, type Templates } from './templates.js';

/** The namespace of an ephemeral environment and what fences it in. Pure. */

export interface NamespaceFacts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly headSha: string;
  readonly repository: string;
  readonly expiresAt: string;
  readonly ttl: string;
  readonly runUrl: string;
}

export function namespaceObject(templates: Templates, f: NamespaceFacts): KubeObject {
  const ns = templateObject(templates, 'namespace', 'Namespace');
  ns.metadata = { ...ns.metadata, name: f.name };
  return stamp(
    ns,
    undefined,
    { ...f.labels, ...(f.headSha ? { [LABEL.headSha]: f.headSha } : {}) },
    {
      [ANNOTATION.repository]: f.repository,
      [ANNOTATION.expiresAt]: f.expiresAt,
      [ANNOTATION.ttl]: f.ttl,
      ...(f.runUrl ? { [ANNOTATION.runUrl]: f.runUrl } : {}),
    },
  );
}

/** Container defaults = the per-pod budget, so pods that declare no resources still admit. */
export function limitRangeObject(templates: Templates, namespace: string, labels: Readonly<Record<string, string>>, budget: PodBudget): KubeObject {
  const lr = stamp(templateObject(templates, 'limitrange', 'LimitRange'), namespace, labels);
  const limits = specOf(lr)['limits'];
  const item = listEntry(limits, 0, 'limitrange.yaml limits');
  item['default'] = { ...budget.perPod.limits };
  item['defaultRequest'] = { ...budget.perPod.requests };
  return lr;
}

export function resourceQuotaObject(templates: Templates, namespace: string, labels: Readonly<Record<string, string>>, quota: Quota): KubeObject {
  const rq = stamp(templateObject(templates, 'resourcequota', 'ResourceQuota'), namespace, labels);
  specOf(rq)['hard'] = {
    'limits.cpu': quota.cpu,
    'limits.memory': quota.memory,
    'requests.cpu': quota.cpu,
    'requests.memory': quota.memory,
    pods: String(quota.pods),
  };
  return rq;
}

/**
 * Ingress from the namespace's own pods only; with an ingress host, also the app port of the app
 * pods from anywhere (see templates/networkpolicy.yaml).
 */
export function networkPolicyObjects(
  templates: Templates,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  appIngress: { readonly podSelector: Readonly<Record<string, string>>; readonly port: number } | undefined,
): KubeObject[] {
  const sameNamespace = stamp(templateObject(templates, 'networkpolicy', 'NetworkPolicy', 0), namespace, labels);
  if (!appIngress) return [sameNamespace];
  const toApp = stamp(templateObject(templates, 'networkpolicy', 'NetworkPolicy', 1), namespace, labels);
  const spec = specOf(toApp);
  spec['podSelector'] = { matchLabels: { ...appIngress.podSelector } };
  const rule = listEntry(spec['ingress'], 0, 'networkpolicy.yaml allow-ingress-to-app ingress');
  listEntry(rule['ports'], 0, 'networkpolicy.yaml allow-ingress-to-app ports')['port'] = appIngress.port;
  return [sameNamespace, toApp];
}
