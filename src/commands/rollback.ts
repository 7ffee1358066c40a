import { requirePermissions } from '../kube/access.js';
import { readDeployment, revisionOf, rollbackDeployment } from '../kube/rollout.js';
import { waitForWorkloads } from '../kube/workloads.js';
import { requireNamespace } from './ops-common.js';
import type { CommandFn } from './types.js';

/**
 * `command: rollback`: `deployment` back to the previous revision, or to `revision`, exactly as
 * `kubectl rollout undo` does it; then waits for the rollout. Output `revision`: the revision
 * rolled back to.
 */
export const rollback: CommandFn = async (deps) => {
  const { inputs, kube, log, report, signal } = deps;
  const name = inputs.deployment ?? '';
  const ns = requireNamespace(inputs, deps.ctx);
  report.namespace = ns;
  report.output('namespace', ns);
  await requirePermissions(deps, [
    { verb: 'patch', group: 'apps', resource: 'deployments', namespace: ns },
    { verb: 'list', group: 'apps', resource: 'replicasets', namespace: ns },
  ]);
  const what = inputs.revision === undefined ? 'the previous revision' : `revision ${inputs.revision}`;
  const out = await report.phase(log, `Roll back deployment/${name} to ${what}`, async () => {
    const r = await rollbackDeployment({ kube, signal }, ns, name, { toRevision: inputs.revision, dryRun: inputs.dryRun });
    if (r.plan.kind === 'skip') log.info(`  deployment/${name}: ${r.plan.message}`);
    else log.info(`  deployment/${name} rolled back from revision ${r.fromRevision ?? '?'} to revision ${r.plan.revision} (image ${r.plan.image})${inputs.dryRun ? ' (dry run)' : ''}`);
    return r;
  });
  const action = out.plan.kind === 'skip' ? 'unchanged' : inputs.dryRun ? 'rolled-back (dry run)' : 'rolled-back';
  report.resource({ kind: 'Deployment', name, namespace: ns, action });
  report.output('revision', String(out.plan.revision));
  const record: Record<string, unknown> = {
    deployment: name,
    from: out.fromRevision ?? null,
    to: out.plan.revision,
    skipped: out.plan.kind === 'skip',
    ...(out.plan.kind === 'skip' ? { message: out.plan.message } : { image: out.plan.image }),
  };
  report.set('rollback', record);
  if (out.plan.kind === 'skip' || inputs.dryRun) return;
  await report.phase(log, 'Wait for the rollout', () => waitForWorkloads(kube, ns, [{ kind: 'Deployment', name }], { timeoutMs: inputs.timeoutMs, signal, log }));
  const after = await readDeployment({ kube, signal }, ns, name);
  const newRevision = revisionOf(after);
  log.info(`  deployment/${name} runs the template of revision ${out.plan.revision} again, now as revision ${newRevision ?? '?'}`);
  report.set('rollback', { ...record, newRevision: newRevision ?? null });
};
