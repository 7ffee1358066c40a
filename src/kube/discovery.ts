import { ActionError } from '../errors.js';
import { isNotFound } from './errors.js';
import type { Kube } from './http.js';

export interface ResourceInfo {
  /** Plural resource name in the URL (`deployments`). */
  readonly resource: string;
  readonly namespaced: boolean;
  readonly kind: string;
  readonly apiVersion: string;
}

interface APIResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** Maps apiVersion + kind to URL paths through the API server's discovery, cached per group/version. */
export class Discovery {
  private cache = new Map<string, Promise<APIResourceList | undefined>>();
  constructor(private readonly kube: Kube) {}

  private fetch(apiVersion: string): Promise<APIResourceList | undefined> {
    let p = this.cache.get(apiVersion);
    if (!p) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = this.kube.request<APIResourceList>({ method: 'GET', path }).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        this.cache.delete(apiVersion);
        throw err;
      });
      this.cache.set(apiVersion, p);
    }
    return p;
  }

  /** Forget a group/version (after a CRD was created). */
  forget(apiVersion: string): void {
    this.cache.delete(apiVersion);
  }

  async lookup(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let list = await this.fetch(apiVersion);
    let r = list?.resources.find((x) => x.kind === kind && !x.name.includes('/'));
    if (!r) {
      // A CRD applied moments ago may not be in the cached discovery yet.
      this.forget(apiVersion);
      list = await this.fetch(apiVersion);
      r = list?.resources.find((x) => x.kind === kind && !x.name.includes('/'));
    }
    if (!r) {
      throw new ActionError(
        list
          ? `the API server has no kind ${kind} in ${apiVersion} (known: ${list.resources.filter((x) => !x.name.includes('/')).map((x) => x.kind).join(', ')})`
          : `the API server does not serve ${apiVersion} (is its CRD installed?) for kind ${kind}`,
      );
    }
    return { resource: r.name, namespaced: r.namespaced, kind, apiVersion };
  }
}

/** The URL of a collection, or of one object when `name` is given. */
export function objectPath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}
