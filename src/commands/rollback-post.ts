import { readRunContext } from '../context.js';
import { errorMessage } from '../errors.js';
import { isOwnedBy, MANAGED_BY, MANAGER, type Owner } from '../environment/ownership.js';
import { ownerOf } from '../environment/target.js';
import { escapeHtml } from '../github/escape.js';
import { writeSummary } from '../github/write-summary.js';
import { readInputs } from '../inputs.js';
import { connectFromInputs } from '../kube/connect.js';
import { isNotFound } from '../kube/errors.js';
import type { Kube } from '../kube/http.js';
import { rollbackDeployment } from '../kube/rollout.js';
import type { Deployment } from '../kube/types.js';
import { waitForWorkloads, type WorkloadRef } from '../kube/workloads.js';
import type { Log } from '../log.js';
import type { SavedState } from '../state.js';
import { htmlTable } from './ops-common.js';
import type { PostHandler } from './post-handlers.js';

export interface Reverted {
  readonly deployment: string;
  /** The revision recorded before the run changed it; null when the run created the Deployment. */
  readonly recorded: number | null;
  /** rolled-back, unchanged, deleted, left (not ours to delete), gone, failed */
  readonly action: 'rolled-back' | 'unchanged' | 'deleted' | 'left' | 'gone' | 'failed';
  readonly detail: string;
}

/** Pure: whether post rolls back at all. A run that never finished counts as failed. */
export function shouldRollBack(saved: Pick<SavedState, 'mode' | 'outcome'>): boolean {
  return saved.mode === 'long-lived' && saved.outcome !== 'success';
}

const path = (ns: string, name: string): string => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}`;

interface Io {
  readonly kube: Kube;
  readonly signal: AbortSignal;
  readonly log: Log;
  readonly owner: Owner;
}

/** A Deployment the run created: deleted, but only when it carries our labels. */
async function deleteCreated(io: Io, ns: string, name: string): Promise<Reverted> {
  let d: Deployment;
  try {
    d = await io.kube.request<Deployment>({ method: 'GET', path: path(ns, name), signal: io.signal });
  } catch (err) {
    if (isNotFound(err)) return { deployment: name, recorded: null, action: 'gone', detail: 'created by the run, already gone' };
    throw err;
  }
  if (!isOwnedBy(d.metadata, io.owner)) {
    return { deployment: name, recorded: null, action: 'left', detail: `created during the run but lacks ${MANAGED_BY}=${MANAGER} with this repository's label; not deleted` };
  }
  await io.kube.request<unknown>({
    method: 'DELETE',
    path: path(ns, name),
    // With a DeleteOptions body the server ignores query parameters: everything goes in the body.
    body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid: d.metadata?.uid } },
    signal: io.signal,
  });
  return { deployment: name, recorded: null, action: 'deleted', detail: 'created by the run; deleted' };
}

/** A Deployment that existed: rolled back to the ReplicaSet that carried the recorded revision. */
async function rollBackTo(io: Io, ns: string, name: string, revision: number): Promise<Reverted> {
  if (revision <= 0) return { deployment: name, recorded: revision, action: 'failed', detail: 'no revision was recorded (the Deployment had no revision annotation); left as it is' };
  try {
    const r = await rollbackDeployment(io, ns, name, { toRevision: revision });
    if (r.plan.kind === 'skip') return { deployment: name, recorded: revision, action: 'unchanged', detail: `still at the template of revision ${revision}` };
    return { deployment: name, recorded: revision, action: 'rolled-back', detail: `from revision ${r.fromRevision ?? '?'} back to the template of revision ${revision} (${r.plan.image})` };
  } catch (err) {
    if (isNotFound(err) || /not found in namespace/.test(errorMessage(err))) return { deployment: name, recorded: revision, action: 'gone', detail: 'the Deployment no longer exists' };
    return { deployment: name, recorded: revision, action: 'failed', detail: errorMessage(err) };
  }
}

/** Reverts every recorded Deployment, then waits for the rolled-back ones; never throws for one Deployment. */
export async function revertDeployments(io: Io, ns: string, recorded: Readonly<Record<string, number | null>>, timeoutMs: number): Promise<Reverted[]> {
  const out: Reverted[] = [];
  for (const [name, revision] of Object.entries(recorded)) {
    let r: Reverted;
    try {
      r = revision === null ? await deleteCreated(io, ns, name) : await rollBackTo(io, ns, name, revision);
    } catch (err) {
      r = { deployment: name, recorded: revision, action: 'failed', detail: errorMessage(err) };
    }
    io.log.info(`  deployment/${name}: ${r.action}: ${r.detail}`);
    out.push(r);
  }
  const rolled: WorkloadRef[] = out.filter((r) => r.action === 'rolled-back').map((r) => ({ kind: 'Deployment', name: r.deployment }));
  if (rolled.length) {
    try {
      await waitForWorkloads(io.kube, ns, rolled, { timeoutMs, signal: io.signal, log: io.log });
    } catch (err) {
      io.log.warning(`rolled back, but not ready: ${errorMessage(err)}`, { title: 'kube-ephemeral rollback' });
      return out.map((r) => (r.action === 'rolled-back' ? { ...r, detail: `${r.detail}; not ready yet: ${errorMessage(err)}` } : r));
    }
  }
  return out;
}

/**
 * Post after `up` into a long-lived namespace: when the run did not succeed, every Deployment it
 * changed goes back to the revision recorded before the change, and every Deployment it created
 * is deleted (only with our labels). The namespace itself is never deleted.
 */
export const rollbackPost: PostHandler = async (saved, deps) => {
  const { log } = deps;
  if (saved.mode !== 'long-lived') return;
  const names = Object.keys(saved.deployments);
  if (!shouldRollBack(saved)) {
    log.info(`kube-ephemeral post: the run succeeded; long-lived namespace ${saved.namespace} keeps its changes`);
    return;
  }
  const how = saved.outcome === 'failure' ? 'failed' : 'did not finish (cancelled or crashed)';
  if (!names.length) {
    log.info(`kube-ephemeral post: the run ${how}; no Deployment of ${saved.namespace} was changed, nothing to roll back`);
    return;
  }
  const inputs = readInputs();
  const { kube } = connectFromInputs({ kubeconfig: inputs.kubeconfig, context: inputs.context }, (s) => log.setSecret(s));
  const signal = AbortSignal.timeout(inputs.timeoutMs + 60_000);
  log.info(`kube-ephemeral post: the run ${how}; rolling back ${names.length} Deployment(s) of long-lived namespace ${saved.namespace}`);
  const reverted = await revertDeployments({ kube, signal, log, owner: ownerOf(readRunContext()) }, saved.namespace, saved.deployments, inputs.timeoutMs);
  const failed = reverted.filter((r) => r.action === 'failed' || r.action === 'left');
  const line = `${saved.namespace}: ${reverted.map((r) => `deployment/${r.deployment} ${r.action}`).join(', ')}`;
  if (failed.length) log.warning(`could not fully roll back ${line}`, { title: 'kube-ephemeral rollback incomplete' });
  else log.info(`rolled back ${line}`);
  await writeSummary(
    `<h3>kube-ephemeral post: rollback of ${escapeHtml(saved.namespace)}</h3>\n` +
      `<p>The run ${escapeHtml(how)}${saved.cause ? `: ${escapeHtml(saved.cause)}` : ''}.</p>\n` +
      htmlTable(
        ['Deployment', 'Recorded revision', 'Action', 'Detail'],
        reverted.map((r) => [r.deployment, r.recorded === null ? 'created by the run' : String(r.recorded), r.action, r.detail]),
      ),
    log,
  );
};
