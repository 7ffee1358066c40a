import type { GitHub } from './client.js';

/** The GitHub environment of a PR's preview. */
export function environmentName(prNumber: number): string {
  return `pr-${prNumber}`;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

/** GitHub refuses a status description over 140 characters. */
export function deploymentDescription(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 140 ? `${one.slice(0, 139)}…` : one;
}

/** Creates the Deployment of this run: transient, not production, no auto-merge, no required contexts. */
export async function createDeployment(
  github: GitHub,
  r: Repo,
  d: { prNumber: number; namespace: string; ref: string; signal?: AbortSignal | undefined },
): Promise<number> {
  const res = await github.rest.repos.createDeployment({
    owner: r.owner,
    repo: r.repo,
    ref: d.ref,
    environment: environmentName(d.prNumber),
    transient_environment: true,
    production_environment: false,
    auto_merge: false,
    required_contexts: [],
    description: deploymentDescription(`kube-ephemeral: namespace ${d.namespace}`),
    payload: { namespace: d.namespace, pr: d.prNumber },
    ...(d.signal ? { request: { signal: d.signal } } : {}),
  });
  if (!('id' in res.data) || typeof res.data.id !== 'number') {
    throw new Error(`GitHub did not create the deployment: ${'message' in res.data ? String(res.data.message) : `status ${res.status}`}`);
  }
  return res.data.id;
}

export async function setDeploymentStatus(
  github: GitHub,
  r: Repo,
  id: number,
  s: { state: DeploymentState; description: string; logUrl: string; environmentUrl?: string | undefined; signal?: AbortSignal | undefined },
): Promise<void> {
  await github.rest.repos.createDeploymentStatus({
    owner: r.owner,
    repo: r.repo,
    deployment_id: id,
    state: s.state,
    description: deploymentDescription(s.description),
    log_url: s.logUrl,
    ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
    ...(s.signal ? { request: { signal: s.signal } } : {}),
  });
}

/** How many of an environment's latest deployments `deactivateEnvironment` looks at. */
const LATEST = 10;

/**
 * Marks the latest deployments of the PR's environment inactive (those not inactive already), so
 * GitHub stops offering a link to an environment that is gone. Returns how many it changed.
 */
export async function deactivateEnvironment(
  github: GitHub,
  r: Repo,
  prNumber: number,
  s: { description: string; logUrl: string; signal?: AbortSignal | undefined },
): Promise<number> {
  const request = s.signal ? { request: { signal: s.signal } } : {};
  const list = await github.rest.repos.listDeployments({ owner: r.owner, repo: r.repo, environment: environmentName(prNumber), per_page: LATEST, ...request });
  let changed = 0;
  for (const d of list.data.slice(0, LATEST)) {
    const statuses = await github.rest.repos.listDeploymentStatuses({ owner: r.owner, repo: r.repo, deployment_id: d.id, per_page: 1, ...request });
    if (statuses.data[0]?.state === 'inactive') continue;
    await setDeploymentStatus(github, r, d.id, { state: 'inactive', description: s.description, logUrl: s.logUrl, signal: s.signal });
    changed++;
  }
  return changed;
}
