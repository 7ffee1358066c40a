import type { RunContext } from '../context.js';
import { resolveTarget, type Target } from '../environment/target.js';
import type { Inputs } from '../inputs.js';
import type { Log } from '../log.js';
import type { Result } from '../report.js';
import type { GitHub } from './client.js';
import { commentMarker, renderComment, writtenByLaterRun, type CommentStatus, type CommentView } from './comment-body.js';
import { upsertComment } from './comment.js';
import { createDeployment, deactivateEnvironment, setDeploymentStatus, type DeploymentState } from './deployment.js';
import { updateExistingComment } from './environment-gone.js';
import { explainGitHubError, isUnreachable } from './github-errors.js';
import { isoNow } from './environment-gone.js';

/**
 * What GitHub hears about a run: the sticky PR comment and the GitHub Deployment of the PR's
 * environment. Degrade, never break: nothing here throws, a failed call becomes ONE warning for
 * its feature and that feature makes no more calls; the Kubernetes work and its result stand.
 */
export interface FeedbackDeps {
  readonly inputs: Inputs;
  readonly ctx: RunContext;
  readonly github: GitHub | undefined;
  readonly log: Log;
}

/** The environment a run reports on, and which feedback it gets. */
export interface FeedbackEnv {
  readonly prNumber: number;
  readonly namespace: string;
  readonly ephemeral: boolean;
  readonly comment: boolean;
  /** Only for a PR's own (ephemeral) namespace: environment pr-<n>. */
  readonly deployment: boolean;
  /** https://<ingress host>, when the app has an Ingress. */
  readonly publicUrl: string | undefined;
}

/** Pure: the environment `up`/`down` give feedback about; undefined when none (no PR, dry run, turned off). */
export function feedbackEnv(inputs: Inputs, ctx: RunContext): FeedbackEnv | undefined {
  if ((inputs.command !== 'up' && inputs.command !== 'down') || inputs.dryRun) return undefined;
  let target: Target;
  try {
    target = resolveTarget(inputs, ctx);
  } catch {
    return undefined;
  }
  if (target.prNumber === undefined) return undefined;
  const ephemeral = target.mode === 'ephemeral';
  const env = {
    prNumber: target.prNumber,
    namespace: target.namespace,
    ephemeral,
    comment: inputs.comment,
    deployment: inputs.githubDeployment && ephemeral,
    publicUrl: inputs.ingressHost && inputs.app.image ? `https://${inputs.ingressHost.replaceAll('{pr}', String(target.prNumber))}` : undefined,
  };
  return env.comment || env.deployment ? env : undefined;
}

type Feature = 'comment' | 'deployment';

interface Session {
  readonly env: FeedbackEnv;
  commentId?: number;
  deploymentId?: number;
  readonly off: Set<Feature>;
  unreachable: boolean;
}

const sessions = new WeakMap<FeedbackDeps, Session | null>();

/** The run's session; null (after one warning) when there is no token. */
function sessionOf(deps: FeedbackDeps): Session | null {
  const known = sessions.get(deps);
  if (known !== undefined) return known;
  const env = feedbackEnv(deps.inputs, deps.ctx);
  let s: Session | null = null;
  if (env && !deps.github) {
    const what = [env.comment && 'no PR comment', env.deployment && 'no GitHub Deployment'].filter(Boolean).join(' and ');
    deps.log.warning(`github-token is empty: ${what} for ${env.namespace}; the Kubernetes work is not affected (set comment: false and github-deployment: false to silence this)`, {
      title: 'kube-ephemeral: GitHub feedback',
    });
  } else if (env) {
    s = { env, off: new Set(), unreachable: false };
  }
  sessions.set(deps, s);
  return s;
}

async function attempt(deps: FeedbackDeps, s: Session, feature: Feature, fn: (github: GitHub) => Promise<void>): Promise<void> {
  const enabled = feature === 'comment' ? s.env.comment : s.env.deployment;
  if (!enabled || s.off.has(feature) || s.unreachable || !deps.github) return;
  try {
    await fn(deps.github);
  } catch (err) {
    s.off.add(feature);
    if (isUnreachable(err)) s.unreachable = true;
    const name = feature === 'comment' ? 'PR comment' : 'GitHub Deployment';
    deps.log.warning(`${name} skipped: ${explainGitHubError(err, feature)}; the Kubernetes work and its result are not affected`, {
      title: 'kube-ephemeral: GitHub feedback',
    });
  }
}


/** Before `up` runs: the Deployment (in_progress) and the comment saying it is being deployed. Never throws. */
export async function feedbackStart(deps: FeedbackDeps): Promise<void> {
  if (deps.inputs.command !== 'up') return;
  const s = sessionOf(deps);
  if (!s) return;
  const { ctx } = deps;
  const { env } = s;
  await attempt(deps, s, 'deployment', async (github) => {
    if (!ctx.sha) throw new Error('the run has no commit SHA (GITHUB_SHA) to deploy');
    s.deploymentId = await createDeployment(github, ctx, { prNumber: env.prNumber, namespace: env.namespace, ref: ctx.sha });
    await setDeploymentStatus(github, ctx, s.deploymentId, {
      state: 'in_progress',
      description: `deploying into namespace ${env.namespace}`,
      logUrl: ctx.runUrl,
      environmentUrl: env.publicUrl,
    });
  });
  await writeComment(deps, s, {
    namespace: env.namespace,
    prNumber: env.prNumber,
    status: 'in-progress',
    command: 'up',
    sha: ctx.sha,
    appUrl: env.publicUrl,
    runUrl: ctx.runUrl,
    updatedAt: isoNow(),
  });
}

async function writeComment(deps: FeedbackDeps, s: Session, view: CommentView, signal?: AbortSignal): Promise<void> {
  await attempt(deps, s, 'comment', async (github) => {
    const t = { owner: deps.ctx.owner, repo: deps.ctx.repo, prNumber: s.env.prNumber };
    const unless = (current: string): boolean => writtenByLaterRun(current, deps.ctx.runUrl);
    const r = await upsertComment(github, t, commentMarker(s.env.namespace), renderComment(view), { knownId: s.commentId, unless, signal });
    s.commentId = r.id;
    deps.log.info(
      r.skipped
        ? `PR #${s.env.prNumber}: the kube-ephemeral comment is left as a later run wrote it`
        : `PR #${s.env.prNumber}: ${r.created ? 'created' : 'updated'} the kube-ephemeral comment (${view.status})`,
    );
  });
}

const UP_STATUS: Record<Result['status'], { comment: CommentStatus; deployment: DeploymentState }> = {
  success: { comment: 'ready', deployment: 'success' },
  failure: { comment: 'failed', deployment: 'failure' },
  cancelled: { comment: 'cancelled', deployment: 'error' },
};

/** Pure: the comment after `up`. */
export function upView(env: FeedbackEnv, result: Result, outputs: Readonly<Record<string, string>>, inputs: Inputs, ctx: RunContext, now: string): CommentView {
  const expiresAt = typeof result.expiresAt === 'string' ? result.expiresAt : undefined;
  const test = outputs['test-result'];
  return {
    namespace: env.namespace,
    prNumber: env.prNumber,
    status: UP_STATUS[result.status].comment,
    command: result.command,
    sha: ctx.sha,
    appUrl: env.publicUrl,
    testResult: test && (test !== 'skipped' || inputs.test.image) ? test : undefined,
    testExitCode: outputs['test-exit-code'],
    expiresAt,
    afterRun: !env.ephemeral ? 'long-lived' : !expiresAt ? undefined : result.status === 'success' ? inputs.onSuccess : inputs.onFailure,
    runUrl: ctx.runUrl,
    cause: result.cause,
    updatedAt: now,
  };
}

/** After the command: the comment and the Deployment's final status (`up`), or the environment gone (`down`). Never throws. */
export async function feedbackEnd(deps: FeedbackDeps, result: Result, outputs: Readonly<Record<string, string>> = {}): Promise<void> {
  const s = sessionOf(deps);
  if (!s) return;
  const { ctx, inputs } = deps;
  // A cancelled run has seconds before the runner kills it.
  const signal = result.status === 'cancelled' ? AbortSignal.timeout(5_000) : undefined;
  if (inputs.command === 'down') {
    const teardown = result.teardown;
    if (teardown === 'deleted' || teardown === 'absent') {
      await goneWith(deps, s, 'deleted', teardown === 'absent' ? 'namespace already gone (down)' : 'namespace deleted by down', 'down', signal);
    } else if (teardown === 'stuck') {
      await goneWith(deps, s, 'stuck', result.cause ?? 'the namespace was not deleted', 'down', signal);
    }
    return;
  }
  const view = upView(s.env, result, outputs, inputs, ctx, isoNow());
  await writeComment(deps, s, view, signal);
  await attempt(deps, s, 'deployment', async (github) => {
    if (s.deploymentId === undefined) return;
    const description = result.status === 'success' ? `ready in namespace ${s.env.namespace}` : (result.cause ?? result.status);
    await setDeploymentStatus(github, ctx, s.deploymentId, {
      state: UP_STATUS[result.status].deployment,
      description,
      logUrl: ctx.runUrl,
      environmentUrl: result.status === 'success' ? s.env.publicUrl : undefined,
      signal,
    });
  });
}

async function goneWith(deps: FeedbackDeps, s: Session, status: 'deleted' | 'stuck', cause: string, command: string, signal?: AbortSignal): Promise<void> {
  await attempt(deps, s, 'comment', async (github) => {
    await updateExistingComment(github, deps.ctx, s.env.prNumber, s.env.namespace, { status, cause, command }, signal);
  });
  if (status !== 'deleted') return;
  await attempt(deps, s, 'deployment', async (github) => {
    const n = await deactivateEnvironment(github, deps.ctx, s.env.prNumber, { description: `namespace ${s.env.namespace} deleted`, logUrl: deps.ctx.runUrl, signal });
    if (n) deps.log.info(`GitHub environment pr-${s.env.prNumber}: ${n} deployment(s) marked inactive`);
  });
}

/**
 * The post step after `up`: tells GitHub what became of an ephemeral environment (deleted: comment
 * and inactive deployments; stuck: the comment says so). Kept environments need nothing: the comment
 * of main already says until when. Never throws.
 */
export async function feedbackAfterPost(deps: FeedbackDeps, namespace: string, outcome: 'deleted' | 'absent' | 'kept' | 'stuck' | 'not-owned', line: string): Promise<void> {
  if (!deps.github) return; // main has warned about the missing token already
  const s = sessionOf(deps);
  if (!s || s.env.namespace !== namespace || !s.env.ephemeral) return;
  if (outcome === 'deleted' || outcome === 'absent') await goneWith(deps, s, 'deleted', 'deleted when the job ended (post step)', 'post');
  else if (outcome === 'stuck') await goneWith(deps, s, 'stuck', line, 'post');
}

export { markEnvironmentGone, type GoneOptions, type GoneOutcome } from './environment-gone.js';
