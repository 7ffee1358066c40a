import { ActionError } from '../errors.js';
import { ANNOTATION, ownershipLabels } from '../environment/ownership.js';
import { Applier } from '../kube/apply.js';
import { Discovery } from '../kube/discovery.js';
import { applySet, checkKinds } from '../kube/apply-set.js';
import { waitDefaultServiceAccount, waitNamespaceGone } from '../kube/namespace.js';
import type { Deployment, KubeObject } from '../kube/types.js';
import { REVISION, waitForWorkloads } from '../kube/workloads.js';
import { readQuotaUsage } from '../kube/quota.js';
import { runTestJob } from './up-test.js';
import { lockEnvironment } from '../environment/lock.js';
import { prepareUp, type PreparedUp } from './up-prepare.js';
import { requireApplyPermissions, requireUpPermissions } from './up-guard.js';
import type { CommandDeps, CommandFn } from './types.js';

/**
 * `command: up`: namespace (quota, limits, network policy, expiry), databases, app and the
 * user's manifests, readiness, then the test Job with live logs.
 */
export const up: CommandFn = async (deps) => {
  const { report, state, inputs } = deps;
  // Everything that can be checked without changing the cluster, first.
  await requireUpPermissions(deps);
  const p = await prepareUp(deps);
  await requireApplyPermissions(deps, p);
  if (p.userObjects.length) await checkKinds(new Discovery(deps.kube), p.userObjects, { input: 'manifests', namespacedOnly: true });
  report.namespace = p.target.namespace;
  report.output('namespace', p.target.namespace);
  if (p.plan.appUrl) report.output('app-url', p.plan.appUrl);
  if (p.plan.databaseUrl) report.output('database-url', p.plan.databaseUrl);
  if (!inputs.dryRun) state.begin('up', p.target.namespace, p.target.mode);
  if (inputs.dryRun) return phases(deps, p);
  // One run at a time per PR: a newer run or a down makes this one stop (lock.signal aborts).
  const lock = await lockEnvironment(deps, p.target, 'up');
  await lock.run((signal) => phases({ ...deps, signal }, { ...p, existing: lock.namespace ?? p.existing }));
};

async function phases(deps: CommandDeps, p: PreparedUp): Promise<void> {
  const { log, report, inputs } = deps;
  await report.phase(log, `Namespace ${p.target.namespace}`, () => namespacePhase(deps, p));
  await report.phase(log, 'Deploy', () => deployPhase(deps, p));
  if (!inputs.dryRun) {
    await report.phase(log, 'Wait for readiness', () =>
      waitForWorkloads(deps.kube, p.target.namespace, p.waitFor, { timeoutMs: inputs.timeoutMs, signal: deps.signal, log }),
    );
    if (p.target.mode === 'ephemeral') await recordQuota(deps, p.target.namespace);
  }
  if (p.plan.testJob) await report.phase(log, 'Test', () => runTestJob(deps, p));
  else report.output('test-result', 'skipped');
}

async function namespacePhase(deps: CommandDeps, p: PreparedUp): Promise<void> {
  const { kube, inputs, log, signal } = deps;
  const ns = p.target.namespace;
  if (p.target.mode === 'long-lived') {
    log.info(`  ${ns} is a long-lived namespace: it is never deleted; Deployments this run changes are rolled back if it fails`);
    await recordDeployments(deps, p);
    return;
  }
  if (p.existing?.metadata?.deletionTimestamp && !inputs.dryRun) {
    log.info(`  ${ns} is still terminating from an earlier run; waiting until it is gone`);
    if (!(await waitNamespaceGone(kube, ns, { timeoutMs: inputs.timeoutMs, signal }))) {
      throw new ActionError(`namespace ${ns} is stuck in Terminating from an earlier run; run command: down or cleanup to see what blocks it`);
    }
  }
  const applier = new Applier(kube);
  const objects = [p.plan.namespace, ...p.plan.setup].filter((o): o is KubeObject => !!o);
  await applySet(kube, applier, objects, {
    dryRun: inputs.dryRun,
    signal,
    log,
    report: deps.report,
    timeoutMs: inputs.timeoutMs,
    ...(p.dryRunNamespace ? { namespace: p.dryRunNamespace } : {}),
  });
  const expires = p.plan.namespace?.metadata?.annotations?.[ANNOTATION.expiresAt];
  if (expires) {
    deps.report.set('expiresAt', expires);
    log.info(`  expires at ${expires} (ttl ${p.ttl}, renewed by every up)`);
  }
  if (!inputs.dryRun) await waitDefaultServiceAccount(kube, ns, { timeoutMs: inputs.timeoutMs, signal });
}

/** Long-lived targets: the revision of every Deployment this run will change, saved before the change. */
async function recordDeployments(deps: CommandDeps, p: PreparedUp): Promise<void> {
  const names = [...p.plan.app, ...p.plan.databases, ...p.userObjects].filter((o) => o.kind === 'Deployment').map((o) => o.metadata?.name ?? '');
  for (const name of names) {
    let revision: number | null = null;
    try {
      const d = await deps.kube.request<Deployment>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${encodeURIComponent(p.target.namespace)}/deployments/${encodeURIComponent(name)}`,
        signal: deps.signal,
      });
      revision = Number(d.metadata?.annotations?.[REVISION] ?? '0') || 0;
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
    }
    if (!deps.inputs.dryRun) deps.state.recordDeployment(name, revision);
    deps.log.info(`  deployment/${name}: ${revision === null ? 'does not exist yet (deleted again if the run fails)' : `at revision ${revision} (restored if the run fails)`}`);
  }
}

async function deployPhase(deps: CommandDeps, p: PreparedUp): Promise<void> {
  const { kube, inputs, log, signal } = deps;
  const applier = new Applier(kube);
  const labels = ownershipLabels(p.target.owner, p.target.prNumber);
  const ns = p.dryRunNamespace ?? p.target.namespace;
  await applySet(kube, applier, [...p.plan.databases, ...p.plan.app], { dryRun: inputs.dryRun, namespace: ns, signal, log, report: deps.report, timeoutMs: inputs.timeoutMs });
  if (p.userObjects.length) {
    await applySet(kube, applier, p.userObjects, {
      dryRun: inputs.dryRun,
      namespace: ns,
      namespacedOnly: 'manifests',
      labels,
      signal,
      log,
      report: deps.report,
      timeoutMs: inputs.timeoutMs,
    });
  }
}

/** What the environment uses of its quota once it is ready, for the summary; best effort. */
async function recordQuota(deps: CommandDeps, namespace: string): Promise<void> {
  try {
    deps.report.set('quota', await readQuotaUsage(deps.kube, namespace, deps.signal));
  } catch (err) {
    deps.log.debug(`could not read the quota of ${namespace}: ${(err as Error).message}`);
  }
}
