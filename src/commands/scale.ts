import { ActionError, errorDetails, errorMessage } from '../errors.js';
import { FIELD_MANAGER } from '../environment/ownership.js';
import { requirePermissions } from '../kube/access.js';
import type { Kube } from '../kube/http.js';
import { readDeployment } from '../kube/rollout.js';
import { waitForWorkloads } from '../kube/workloads.js';
import { requireNamespace } from './ops-common.js';
import type { CommandFn } from './types.js';

interface Scale {
  spec?: { replicas?: number };
  status?: { replicas?: number };
}

const scalePath = (ns: string, name: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}/scale`;

/** Merge patch of the scale subresource, with our field manager. */
async function setReplicas(kube: Kube, ns: string, name: string, replicas: number, o: { dryRun: boolean; signal: AbortSignal }): Promise<Scale> {
  return kube.request<Scale>({
    method: 'PATCH',
    path: scalePath(ns, name),
    query: { fieldManager: FIELD_MANAGER, ...(o.dryRun ? { dryRun: 'All' } : {}) },
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
    signal: o.signal,
    retry: true, // setting an absolute count is idempotent
  });
}

/**
 * `command: scale`: `deployment` to `replicas` (0 allowed), then waits until ready. When it is not
 * ready within `timeout`, or cannot become ready (pods rejected by the quota, bad image, ...),
 * the previous count is restored and the step fails with the cause.
 */
export const scale: CommandFn = async (deps) => {
  const { inputs, kube, log, report, signal } = deps;
  const name = inputs.deployment ?? '';
  const replicas = inputs.replicas ?? 0;
  const ns = requireNamespace(inputs, deps.ctx);
  report.namespace = ns;
  report.output('namespace', ns);
  await requirePermissions(deps, [{ verb: 'patch', group: 'apps', resource: 'deployments', subresource: 'scale', namespace: ns }]);

  // The count to restore, from the Deployment itself (`get deployments`; the scale subresource is only patched).
  const current = await readDeployment({ kube, signal }, ns, name);
  const previous = current.spec?.replicas ?? 1;
  const record = { deployment: name, from: previous, to: replicas, reverted: false };
  report.set('scale', record);

  await report.phase(log, `Scale deployment/${name} from ${previous} to ${replicas}`, async () => {
    await setReplicas(kube, ns, name, replicas, { dryRun: inputs.dryRun, signal });
    log.info(`  deployment/${name} scaled from ${previous} to ${replicas} replica(s)${inputs.dryRun ? ' (dry run)' : ''}${previous === replicas ? ' (unchanged)' : ''}`);
  });
  report.resource({ kind: 'Deployment', name, namespace: ns, action: inputs.dryRun ? 'scaled (dry run)' : previous === replicas ? 'unchanged' : 'scaled' });
  if (inputs.dryRun) return;

  try {
    await report.phase(log, 'Wait for readiness', () => waitForWorkloads(kube, ns, [{ kind: 'Deployment', name }], { timeoutMs: inputs.timeoutMs, signal, log }));
  } catch (err) {
    if (signal.aborted || previous === replicas) throw err;
    // Not ready: put the previous count back, then fail with the cause.
    const cause = errorMessage(err);
    await report.phase(log, `Revert deployment/${name} to ${previous} replica(s)`, async () => {
      await setReplicas(kube, ns, name, previous, { dryRun: false, signal });
      log.info(`  deployment/${name} scaled back to ${previous} replica(s)`);
      try {
        await waitForWorkloads(kube, ns, [{ kind: 'Deployment', name }], { timeoutMs: Math.min(inputs.timeoutMs, 120_000), signal, log });
      } catch (again) {
        log.warning(`deployment/${name} is back at ${previous} replica(s) but not ready yet: ${errorMessage(again)}`);
      }
    });
    report.set('scale', { ...record, reverted: true });
    report.resource({ kind: 'Deployment', name, namespace: ns, action: 'reverted' });
    throw new ActionError(`scaling deployment/${name} to ${replicas} failed, it was scaled back to ${previous}: ${cause}`, errorDetails(err));
  }
};
