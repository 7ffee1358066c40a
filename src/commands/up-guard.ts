import { resolveTarget } from '../environment/target.js';
import { applyChecks, requirePermissions, resourceRefs } from '../kube/access.js';
import { permissionsFor } from '../kube/permissions.js';
import type { KubeObject } from '../kube/types.js';
import type { PreparedUp } from './up-prepare.js';
import type { CommandDeps } from './types.js';

/** Before `up` reads or changes anything: the permissions every `up` with these inputs needs. */
export async function requireUpPermissions(deps: CommandDeps): Promise<void> {
  const { inputs, ctx } = deps;
  const target = resolveTarget(inputs, ctx);
  await requirePermissions(
    deps,
    permissionsFor('up', target.namespace, {
      mode: target.mode,
      deletesAfter: target.mode === 'ephemeral' && (inputs.onSuccess === 'delete' || inputs.onFailure === 'delete'),
      readsSecrets: inputs.databases.length > 0,
      runsJob: !!inputs.test.image,
    }),
  );
}

/** Once the plan is known, before the first change: create + patch (server-side apply) of every kind it applies. */
export async function requireApplyPermissions(deps: CommandDeps, p: PreparedUp): Promise<void> {
  const objects: KubeObject[] = [...(p.plan.namespace ? [p.plan.namespace] : []), ...p.plan.setup, ...p.plan.databases, ...p.plan.app, ...p.userObjects];
  const refs = await resourceRefs(deps.kube, objects);
  await requirePermissions(deps, applyChecks(refs, p.dryRunNamespace ?? p.target.namespace));
}
