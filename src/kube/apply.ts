import { ActionError } from '../errors.js';
import { FIELD_MANAGER } from '../environment/ownership.js';
import { KubeApiError } from './errors.js';
import type { Kube } from './http.js';
import { Discovery, objectPath, type ResourceInfo } from './discovery.js';
import type { KubeObject } from './types.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'applied';

export interface Applied {
  readonly object: KubeObject;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly action: ApplyAction;
  readonly info: ResourceInfo;
}

export interface ApplyOptions {
  readonly dryRun?: boolean;
  /** Take over fields owned by another manager (SSA force). The action's own objects are always forced. */
  readonly force?: boolean;
  /** Tell configured from unchanged (one more request per object: a server-side dry run first). */
  readonly detectUnchanged?: boolean;
  readonly signal?: AbortSignal;
}

/** Fields the server owns; an apply that carries them is rejected or takes the wrong meaning. */
export function applyBody(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj as KubeObject & { status?: unknown };
  const meta = { ...(rest.metadata ?? {}) } as Record<string, unknown>;
  for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'deletionTimestamp']) delete meta[k];
  return { ...rest, metadata: meta };
}

export function describeObject(o: KubeObject): string {
  return `${(o.kind ?? '?').toLowerCase()}/${o.metadata?.name ?? '?'}`;
}

/** Server-side apply of plain JSON (never through the client's model serializer, which drops fields). */
export class Applier {
  readonly discovery: Discovery;
  constructor(private readonly kube: Kube, discovery?: Discovery) {
    this.discovery = discovery ?? new Discovery(kube);
  }

  async apply(obj: KubeObject, o: ApplyOptions = {}): Promise<Applied> {
    const { apiVersion, kind } = obj;
    const name = obj.metadata?.name;
    if (!apiVersion || !kind || !name) {
      throw new ActionError(`cannot apply an object without apiVersion, kind and metadata.name (${describeObject(obj)})`);
    }
    const info = await this.discovery.lookup(apiVersion, kind);
    const namespace = info.namespaced ? obj.metadata?.namespace : undefined;
    if (info.namespaced && !namespace) throw new ActionError(`${describeObject(obj)} is namespaced but has no namespace`);
    const path = objectPath(info, namespace, name);
    const body = applyBody({ ...obj, metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) } });
    // The resourceVersion before the change, from a server-side dry run of the same apply (a dry
    // run answers with the stored version): no more permission than the apply itself (no `get`),
    // and a conflict is reported here, before anything changes.
    let before: { existed: boolean; version: string | undefined } | undefined;
    if (o.detectUnchanged && !o.dryRun) {
      try {
        const dry = await this.patchApply(path, body, { ...o, dryRun: true });
        before = { existed: !dry.created, version: dry.object.metadata?.resourceVersion };
      } catch (err) {
        throw explainApplyError(err, obj);
      }
    }
    let result: { object: KubeObject; created: boolean };
    try {
      result = await this.patchApply(path, body, o);
    } catch (err) {
      throw explainApplyError(err, obj);
    }
    const after = result.object.metadata?.resourceVersion;
    let action: ApplyAction = result.created ? 'created' : 'configured';
    if (before && !result.created) action = !before.existed ? 'created' : before.version === after ? 'unchanged' : 'configured';
    if ((!o.detectUnchanged || o.dryRun) && !result.created) action = 'applied';
    return { object: result.object, kind, name, namespace, action, info };
  }

  private async patchApply(path: string, body: KubeObject, o: ApplyOptions): Promise<{ object: KubeObject; created: boolean }> {
    const { status, body: object } = await this.kube.send<KubeObject>({
      method: 'PATCH',
      path,
      query: { fieldManager: FIELD_MANAGER, force: o.force ?? true, ...(o.dryRun ? { dryRun: 'All' } : {}) },
      body,
      contentType: 'application/apply-patch+yaml',
      retry: true, // an apply is idempotent
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return { object, created: status === 201 };
  }
}

/** Turns an apply failure into one line naming the object and what the server said. */
export function explainApplyError(err: unknown, obj: KubeObject): unknown {
  if (!(err instanceof KubeApiError)) return err;
  const what = `${describeObject(obj)}${obj.metadata?.namespace ? ` in ${obj.metadata.namespace}` : ''}`;
  if (err.status === 409 && err.reason === 'Conflict') {
    const fields = err.causes.filter((c) => c.field).map((c) => `${c.field} (${c.message ?? 'conflict'})`);
    return new ActionError(
      `apply of ${what} conflicts with another field manager: ${fields.join('; ') || err.serverMessage}; set force-conflicts: true to take these fields over`,
    );
  }
  if (err.status === 403) return new ActionError(`apply of ${what} was forbidden: ${err.serverMessage}`);
  if (err.status === 422 || err.status === 400) return new ActionError(`${what} is invalid: ${err.serverMessage}`);
  return new ActionError(`apply of ${what} failed: ${err.message}`);
}
