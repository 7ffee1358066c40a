import { requirePermissions } from '../kube/access.js';
import { replacePod } from '../kube/pod-replace.js';
import { readDeployment, restartDeployment, revisionOf } from '../kube/rollout.js';
import { waitForWorkloads } from '../kube/workloads.js';
import { requireNamespace } from './ops-common.js';
import type { CommandDeps, CommandFn } from './types.js';

/**
 * `command: restart`: with `deployment`, a rolling restart as `kubectl rollout restart` does it
 * (pod-template annotation kubectl.kubernetes.io/restartedAt), waiting for the rollout; with
 * `pod`, deletes the pod and waits until its controller has a Ready replacement.
 */
export const restart: CommandFn = async (deps) => {
  const ns = requireNamespace(deps.inputs, deps.ctx);
  deps.report.namespace = ns;
  deps.report.output('namespace', ns);
  if (deps.inputs.deployment) await restartDeploymentCommand(deps, ns, deps.inputs.deployment);
  else await restartPodCommand(deps, ns, deps.inputs.pod ?? '');
};

async function restartDeploymentCommand(deps: CommandDeps, ns: string, name: string): Promise<void> {
  const { inputs, kube, log, report, signal, clock } = deps;
  await requirePermissions(deps, [{ verb: 'patch', group: 'apps', resource: 'deployments', namespace: ns }]);
  const r = await report.phase(log, `Restart deployment/${name}`, async () => {
    const out = await restartDeployment({ kube, signal }, ns, name, { nowMs: clock.now(), dryRun: inputs.dryRun });
    log.info(`  deployment/${name} restarted (kubectl.kubernetes.io/restartedAt: ${out.restartedAt})${inputs.dryRun ? ' (dry run)' : ''}`);
    return out;
  });
  report.resource({ kind: 'Deployment', name, namespace: ns, action: inputs.dryRun ? 'restarted (dry run)' : 'restarted' });
  const record = { deployment: name, restartedAt: r.restartedAt, fromRevision: revisionOf(r.before) ?? null };
  report.set('restart', record);
  if (inputs.dryRun) return;
  await report.phase(log, 'Wait for the rollout', () => waitForWorkloads(kube, ns, [{ kind: 'Deployment', name }], { timeoutMs: inputs.timeoutMs, signal, log }));
  const revision = revisionOf(await readDeployment({ kube, signal }, ns, name));
  if (revision !== undefined) report.output('revision', String(revision));
  report.set('restart', { ...record, revision: revision ?? null });
}

async function restartPodCommand(deps: CommandDeps, ns: string, name: string): Promise<void> {
  const { inputs, kube, log, report, signal } = deps;
  await requirePermissions(deps, [{ verb: 'delete', group: '', resource: 'pods', namespace: ns }]);
  const out = await report.phase(log, `Restart pod/${name}`, () => replacePod(kube, ns, name, { timeoutMs: inputs.timeoutMs, signal, log, dryRun: inputs.dryRun }));
  report.resource({ kind: 'Pod', name, namespace: ns, action: inputs.dryRun ? 'deleted (dry run)' : 'deleted' });
  if (out.replacement) report.resource({ kind: 'Pod', name: out.replacement, namespace: ns, action: 'replacement-ready' });
  report.set('restart', { pod: name, controller: `${out.controller.kind}/${out.controller.name}`, replacement: out.replacement ?? null });
}
