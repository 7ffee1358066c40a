import { ActionError, InputError } from '../errors.js';
import { parseManifests, readManifestFiles, substituteImages, unusedSubstitutions } from '../environment/manifests.js';
import { Applier, describeObject, type Applied } from '../kube/apply.js';
import { applySet, checkKinds, groupKind, kindsFromCrds } from '../kube/apply-set.js';
import { isForbidden, isNotFound } from '../kube/errors.js';
import type { Kube } from '../kube/http.js';
import { awaitJob } from '../kube/job-run.js';
import type { Job, KubeObject } from '../kube/types.js';
import { waitForWorkloads, type WorkloadRef } from '../kube/workloads.js';
import { operationNamespace } from './ops-common.js';
import type { CommandDeps, CommandFn } from './types.js';

/** Pure: the workloads among applied objects to wait for, grouped by namespace. */
export function workloadsByNamespace(applied: readonly Pick<Applied, 'kind' | 'name' | 'namespace'>[]): Map<string, WorkloadRef[]> {
  const out = new Map<string, WorkloadRef[]>();
  for (const a of applied) {
    if ((a.kind !== 'Deployment' && a.kind !== 'StatefulSet') || !a.namespace) continue;
    out.set(a.namespace, [...(out.get(a.namespace) ?? []), { kind: a.kind, name: a.name }]);
  }
  return out;
}

/**
 * `command: apply`: the `manifests` (any kind, custom resources and their CRDs included) by
 * server-side apply with our field manager; `namespace` (or the PR's environment) overrides the
 * files' own for namespaced kinds; `images` substituted. Reports created / configured /
 * unchanged per object; conflicts with another field manager fail unless `force-conflicts`.
 * Then waits for the Deployments and StatefulSets to be ready and the Jobs to complete.
 */
export const apply: CommandFn = async (deps) => {
  const { inputs, kube, log, report, signal } = deps;
  const ns = operationNamespace(inputs, deps.ctx);
  if (ns) {
    report.namespace = ns;
    report.output('namespace', ns);
  }
  const files = readManifestFiles('manifests', inputs.manifests);
  const parsed = parseManifests('manifests', files);
  if (!parsed.length) throw new InputError(`manifests: ${inputs.manifests.join(', ')} hold no objects`);
  for (const name of unusedSubstitutions(parsed, inputs.images)) log.warning(`images: '${name}' matches no container image in manifests`);
  const objects = parsed.map((o) => substituteImages(o, inputs.images));
  const applier = new Applier(kube);
  await checkKinds(applier.discovery, objects, { input: 'manifests' });
  if (ns && !objects.some((o) => o.kind === 'Namespace' && o.metadata?.name === ns)) await requireNamespaceExists(kube, ns, signal);
  await checkNamespaces(applier, objects, ns);

  const applied = await report.phase(log, `Apply ${objects.length} object(s)${ns ? ` into ${ns}` : ''}${inputs.forceConflicts ? ' (force-conflicts)' : ''}`, () =>
    applySet(kube, applier, objects, {
      dryRun: inputs.dryRun,
      force: inputs.forceConflicts,
      detectUnchanged: true,
      ...(ns ? { namespace: ns } : {}),
      signal,
      log,
      report,
      timeoutMs: inputs.timeoutMs,
    }),
  );
  const counts: Record<string, number> = {};
  for (const a of applied) counts[a.action] = (counts[a.action] ?? 0) + 1;
  report.set('applied', counts);
  log.info(`${applied.length} object(s): ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}${inputs.dryRun ? ' (dry run)' : ''}`);
  if (inputs.dryRun) return;
  await waitFor(deps, applied);
};

/**
 * Before any change: every namespaced object needs a namespace (ours or its own); custom
 * resources whose CRD is in the same files are taken as they are (known only once it is applied).
 */
async function checkNamespaces(applier: Applier, objects: readonly KubeObject[], ns: string | undefined): Promise<void> {
  if (ns) return;
  const crdKinds = kindsFromCrds(objects);
  for (const o of objects) {
    if (o.metadata?.namespace) continue;
    if (crdKinds.has(groupKind(o))) continue;
    const info = await applier.discovery.lookup(o.apiVersion ?? '', o.kind ?? '');
    if (info.namespaced) {
      throw new InputError(`manifests: ${describeObject(o)} is namespaced but names no namespace; set namespace (or pr-number for a PR's environment), or put metadata.namespace in the file`);
    }
  }
}

/**
 * Before any change: apply never creates the namespace it was pointed at (unless the files hold
 * it). Credentials bound in that namespace only may not read namespaces: then the apply tells.
 */
async function requireNamespaceExists(kube: Kube, ns: string, signal: AbortSignal): Promise<void> {
  try {
    await kube.request({ method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(ns)}`, signal });
  } catch (err) {
    if (isForbidden(err)) return;
    if (!isNotFound(err)) throw err;
    throw new InputError(`namespace: '${ns}' does not exist; apply does not create it (add a Namespace to manifests, or run up first for a PR's environment)`);
  }
}

async function waitFor(deps: CommandDeps, applied: readonly Applied[]): Promise<void> {
  const { kube, log, report, signal, inputs, clock } = deps;
  const workloads = workloadsByNamespace(applied);
  const jobs = applied.filter((a) => a.kind === 'Job' && a.namespace);
  if (workloads.size) {
    await report.phase(log, 'Wait for readiness', () =>
      Promise.all([...workloads].map(([namespace, refs]) => waitForWorkloads(kube, namespace, refs, { timeoutMs: inputs.timeoutMs, signal, log }))),
    );
  }
  for (const j of jobs) {
    const r = await report.phase(log, `Job ${j.name}`, () =>
      awaitJob({ kube, log, clock, signal }, j.object as Job, { namespace: j.namespace ?? '', timeoutMs: inputs.jobTimeoutMs }),
    );
    report.set('jobs', [...((report.extra.jobs as unknown[] | undefined) ?? []), { name: r.jobName, namespace: j.namespace, result: r.result, exitCode: r.exitCode ?? null, reason: r.reason }]);
    if (r.result === 'failed') throw new ActionError(r.message, r.evidence);
    log.info(r.message);
  }
}
