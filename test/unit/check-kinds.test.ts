import { describe, expect, it } from 'vitest';
import { ActionError, InputError } from '../../src/errors.js';
import { checkKinds, groupKind, kindsFromCrds } from '../../src/kube/apply-set.js';
import type { ResourceInfo } from '../../src/kube/discovery.js';
import type { KubeObject } from '../../src/kube/types.js';

const served: Record<string, ResourceInfo> = {
  'v1/ConfigMap': { resource: 'configmaps', namespaced: true, kind: 'ConfigMap', apiVersion: 'v1' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { resource: 'clusterroles', namespaced: false, kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1' },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { resource: 'customresourcedefinitions', namespaced: false, kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1' },
};
const looked: string[] = [];
const discovery = {
  async lookup(apiVersion: string, kind: string): Promise<ResourceInfo> {
    looked.push(`${apiVersion}/${kind}`);
    const r = served[`${apiVersion}/${kind}`];
    if (!r) throw new ActionError(`the API server does not serve ${apiVersion} (is its CRD installed?) for kind ${kind}`);
    return r;
  },
};
const obj = (apiVersion: string, kind: string, name: string, spec?: unknown): KubeObject => ({ apiVersion, kind, metadata: { name }, ...(spec ? { spec } : {}) }) as KubeObject;
const cm = obj('v1', 'ConfigMap', 'settings');
const widget = obj('acme.example/v1', 'Widget', 'w');
const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.acme.example', { group: 'acme.example', names: { kind: 'Widget' } });

describe('checkKinds: every kind is known before anything is applied', () => {
  it('refuses a set with an unknown kind, naming the input and the object', async () => {
    await expect(checkKinds(discovery, [cm, widget], { input: 'manifests' })).rejects.toThrow(
      new InputError('manifests: widget/w: the API server does not serve acme.example/v1 (is its CRD installed?) for kind Widget'),
    );
  });

  it('takes a custom resource whose CRD comes in the same set without asking the server', async () => {
    looked.length = 0;
    await expect(checkKinds(discovery, [crd, widget, cm], { input: 'manifests' })).resolves.toBeUndefined();
    expect(looked).not.toContain('acme.example/v1/Widget');
  });

  it('refuses a cluster-scoped object where only namespaced ones may go', async () => {
    const role = obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'admin-ish');
    await expect(checkKinds(discovery, [cm, role], { input: 'manifests', namespacedOnly: true })).rejects.toThrow(/manifests: clusterrole\/admin-ish is cluster-scoped/);
    await expect(checkKinds(discovery, [cm, role], { input: 'manifests' })).resolves.toBeUndefined();
  });

  it('groupKind and kindsFromCrds', () => {
    expect(groupKind(cm)).toBe('/ConfigMap');
    expect(groupKind(widget)).toBe('acme.example/Widget');
    expect([...kindsFromCrds([cm, crd])]).toEqual(['acme.example/Widget']);
  });
});
