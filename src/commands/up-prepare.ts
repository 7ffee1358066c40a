import { ActionError } from '../errors.js';
import { formatDuration } from '../input-parsers.js';
import { expiresAt, ownershipProblem } from '../environment/ownership.js';
import { credentialsSecretName } from '../environment/databases.js';
import { parseManifests, readManifestFiles, substituteImages, unusedSubstitutions } from '../environment/manifests.js';
import { testJobName } from '../environment/naming.js';
import { buildPlan, type Plan } from '../environment/plan.js';
import { databasePasswords } from '../environment/secrets.js';
import { resolveTarget, type Target } from '../environment/target.js';
import { readTemplates } from '../environment/templates.js';
import { readNamespace } from '../kube/namespace.js';
import type { KubeObject, Namespace } from '../kube/types.js';
import type { WorkloadRef } from '../kube/workloads.js';
import type { CommandDeps } from './types.js';

export interface PreparedUp {
  readonly target: Target;
  readonly existing: Namespace | undefined;
  readonly plan: Plan;
  readonly userObjects: readonly KubeObject[];
  readonly waitFor: readonly WorkloadRef[];
  readonly ttl: string;
  /** Dry run into a namespace that does not exist yet: namespaced objects are validated in this one. */
  readonly dryRunNamespace: string | undefined;
}

/** Pure: the workloads among the user's objects, to wait for with the planned ones. */
export function workloadsOf(objects: readonly KubeObject[]): WorkloadRef[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({ kind: o.kind as WorkloadRef['kind'], name: o.metadata?.name ?? '' }));
}

/**
 * Everything `up` can check before it changes anything: inputs against each other, the manifests,
 * the templates, the quota budget, and whether the namespace may be used at all.
 */
export async function prepareUp(deps: CommandDeps): Promise<PreparedUp> {
  const { inputs, ctx, kube, log, clock, signal } = deps;
  const target = resolveTarget(inputs, ctx);
  const files = readManifestFiles('manifests', inputs.manifests);
  const parsed = parseManifests('manifests', files);
  const userObjects = parsed.map((o) => substituteImages(o, inputs.images));
  for (const name of unusedSubstitutions(parsed, inputs.images)) log.warning(`images: '${name}' matches no container image in manifests`);
  const templates = readTemplates();

  const existing = await readNamespace(kube, target.namespace, signal);
  if (target.mode === 'ephemeral' && existing) {
    const problem = ownershipProblem(existing.metadata, target.owner);
    if (problem) {
      throw new ActionError(`namespace ${target.namespace} already exists and is not this environment's: ${problem}; it is left alone (choose another namespace-prefix)`);
    }
  }
  if (target.mode === 'long-lived' && !existing) {
    throw new ActionError(`namespace: '${target.namespace}' does not exist; a long-lived namespace must exist already (leave namespace empty for a PR namespace that kube-ephemeral creates)`);
  }
  const ns = target.namespace;
  const passwords = await databasePasswords(kube, ns, inputs.databases, credentialsSecretName, 'password', !!existing);
  const ttl = formatDuration(inputs.ttlMs);
  const app = inputs.app.image
    ? { image: inputs.app.image, port: inputs.app.port, replicas: inputs.app.replicas, env: inputs.app.env, healthPath: inputs.app.healthPath }
    : undefined;
  const test = inputs.test.image
    ? {
        image: inputs.test.image,
        command: inputs.test.command,
        env: inputs.test.env,
        jobName: testJobName(ctx.runId, ctx.runAttempt),
        activeDeadlineSeconds: Math.ceil(inputs.jobTimeoutMs / 1000),
      }
    : undefined;
  const plan = buildPlan(
    {
      namespace: ns,
      mode: target.mode,
      owner: target.owner,
      prNumber: target.prNumber,
      headSha: ctx.sha,
      runUrl: ctx.runUrl,
      expiresAt: expiresAt(clock.now(), inputs.ttlMs),
      ttl,
      quota: inputs.quota,
      databases: inputs.databases,
      passwords,
      app,
      ingressHost: inputs.ingressHost?.replaceAll('{pr}', String(target.prNumber ?? '')),
      test,
    },
    templates,
  );
  for (const s of plan.secrets) log.setSecret(s);
  if (!app && !inputs.databases.length && !userObjects.length && !test) {
    log.warning('up has nothing to deploy: set app-image, database, manifests or test-image; only the namespace is prepared');
  }
  return {
    target,
    existing,
    plan,
    userObjects,
    waitFor: [...plan.waitFor, ...workloadsOf(userObjects)],
    ttl,
    dryRunNamespace: inputs.dryRun && !existing ? 'default' : undefined,
  };
}
