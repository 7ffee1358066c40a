import type { Container, KubeObject, ObjectMeta, PodSpec, PodTemplate } from '../kube/types.js';
import { LABEL, MANAGED_BY, MANAGER, ownershipLabels, type Owner } from './ownership.js';
import type { Resources } from './resources.js';

/** Helpers that fill a template object: labels, namespace, pod template, resources. Pure. */

export const NAME_LABEL = 'app.kubernetes.io/name';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** What an object is part of: the namespace setup, a database, the app, the test. */
export type Component = 'environment' | 'database' | 'app' | 'test';

/** The labels a workload selects its pods by (immutable once created: keep them stable). */
export function selectorLabels(name: string): Record<string, string> {
  return { [NAME_LABEL]: name, [MANAGED_BY]: MANAGER };
}

/** Ownership labels + name + component, for an object and its pods. */
export function objectLabels(owner: Owner, prNumber: number | undefined, name: string, component: Component): Record<string, string> {
  return {
    ...ownershipLabels(owner, prNumber),
    ...selectorLabels(name),
    [COMPONENT_LABEL]: component,
    [LABEL.component]: component,
  };
}

/** Server-owned fields a template must never send. */
const SERVER_FIELDS = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'selfLink'];

/**
 * Sets the namespace (namespaced objects only), merges labels and annotations over the
 * template's own (ours win), and drops status and server-owned metadata.
 */
export function stamp(
  obj: KubeObject,
  namespace: string | undefined,
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>> = {},
): KubeObject {
  const meta: ObjectMeta = obj.metadata ?? {};
  const m = meta as Record<string, unknown>;
  for (const f of SERVER_FIELDS) delete m[f];
  if (namespace !== undefined) meta.namespace = namespace;
  meta.labels = { ...meta.labels, ...labels };
  const merged = { ...meta.annotations, ...annotations };
  if (Object.keys(merged).length) meta.annotations = merged;
  obj.metadata = meta;
  delete obj['status'];
  return obj;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `spec` of a template object, checked to be a map. */
export function specOf(obj: KubeObject): Record<string, unknown> {
  const spec = obj['spec'];
  if (!isRecord(spec)) throw new Error(`template ${obj.kind}/${obj.metadata?.name}: no spec`);
  return spec;
}

type FilledPodTemplate = PodTemplate & { spec: PodSpec; metadata: ObjectMeta };

function isPodTemplate(v: unknown): v is PodTemplate & { spec: PodSpec } {
  if (!isRecord(v) || !isRecord(v['spec'])) return false;
  const containers = v['spec']['containers'];
  return Array.isArray(containers) && containers.length > 0 && containers.every((c) => isRecord(c) && typeof c['name'] === 'string');
}

/** The pod template of a Deployment, StatefulSet or Job template, checked to have a container. */
export function podTemplateOf(obj: KubeObject): FilledPodTemplate {
  const template = specOf(obj)['template'];
  if (!isPodTemplate(template)) throw new Error(`template ${obj.kind}/${obj.metadata?.name}: no spec.template.spec.containers`);
  template.metadata ??= {};
  return template as FilledPodTemplate;
}

/** The first (only) container of a workload template. */
export function mainContainer(obj: KubeObject): Container {
  const c = podTemplateOf(obj).spec.containers[0];
  if (!c) throw new Error(`template ${obj.kind}/${obj.metadata?.name}: no container`);
  return c;
}

/** Pod labels, selector and every container's resources of a workload. */
export function fillWorkload(obj: KubeObject, podLabels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>> | undefined, resources: Resources): void {
  const pod = podTemplateOf(obj);
  pod.metadata.labels = { ...pod.metadata.labels, ...podLabels };
  if (selector) specOf(obj)['selector'] = { matchLabels: { ...selector } };
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    c['resources'] = { requests: { ...resources.requests }, limits: { ...resources.limits } };
  }
}

/** A Service's selector. */
export function fillServiceSelector(service: KubeObject, selector: Readonly<Record<string, string>>): void {
  specOf(service)['selector'] = { ...selector };
}

/** The `i`-th map of a list in a template (ports, rules, limits), checked. */
export function listEntry(list: unknown, i: number, where: string): Record<string, unknown> {
  const entry = Array.isArray(list) ? (list[i] as unknown) : undefined;
  if (!isRecord(entry)) throw new Error(`template ${where}: no entry #${i + 1}`);
  return entry;
}
