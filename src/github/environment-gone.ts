/** An environment that is gone (down, cleanup, post): its PR comment says so, its deployments become inactive. */
import type { RunContext } from '../context.js';
import type { Log } from '../log.js';
import type { GitHub } from './client.js';
import { commentMarker, parseCommentView, renderComment, writtenByLaterRun, type CommentStatus, type CommentView } from './comment-body.js';
import { findComment, upsertComment } from './comment.js';
import { deactivateEnvironment } from './deployment.js';
import { explainGitHubError, isUnreachable } from './github-errors.js';

export const isoNow = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Re-renders the environment's comment, if there is one, with a new status; never creates one. */
export async function updateExistingComment(
  github: GitHub,
  ctx: RunContext,
  prNumber: number,
  namespace: string,
  change: { status: CommentStatus; cause: string; command: string },
  signal?: AbortSignal,
): Promise<boolean> {
  const t = { owner: ctx.owner, repo: ctx.repo, prNumber };
  const marker = commentMarker(namespace);
  const found = await findComment(github, t, marker, signal);
  if (!found || writtenByLaterRun(found.body, ctx.runUrl)) return false;
  const before = parseCommentView(found.body);
  const view: CommentView = {
    ...(before ?? {}),
    namespace,
    prNumber,
    status: change.status,
    command: change.command,
    runUrl: ctx.runUrl,
    cause: change.cause,
    updatedAt: isoNow(),
    afterRun: undefined,
  };
  await upsertComment(github, t, marker, renderComment(view), { knownId: found.id, signal });
  return true;
}

export interface GoneOptions {
  readonly log: Log;
  /** Update the PR comment (default true). */
  readonly comment?: boolean;
  /** Mark the deployments of environment pr-<n> inactive (default true). */
  readonly deployment?: boolean;
  /** One line for the comment, e.g. "PR closed: deleted by cleanup". */
  readonly reason?: string;
  /** The command named in the comment (default cleanup). */
  readonly command?: string;
  readonly signal?: AbortSignal;
}

export interface GoneOutcome {
  /** updated: the comment now says deleted; none: the PR has no comment of this environment; off: turned off or no token. */
  readonly comment: 'updated' | 'none' | 'off' | 'failed';
  /** Deployments marked inactive, or why none were looked at. */
  readonly deactivated: number | 'off' | 'failed';
  /** GitHub did not answer: further calls in this run would wait in vain. */
  readonly unreachable: boolean;
}

/**
 * For cleanup (and post): an environment's namespace is gone. Updates its PR comment, if there is
 * one, to say so (never creates one) and marks the deployments of environment pr-<n> inactive.
 * Never throws: a failure is one warning per feature.
 */
export async function markEnvironmentGone(github: GitHub | undefined, ctx: RunContext, prNumber: number, namespace: string, o: GoneOptions): Promise<GoneOutcome> {
  let unreachable = false;
  const run = async <T>(name: string, feature: 'comment' | 'deployment', fn: (g: GitHub) => Promise<T>): Promise<T | 'failed'> => {
    if (!github || unreachable) return 'failed';
    try {
      return await fn(github);
    } catch (err) {
      unreachable ||= isUnreachable(err);
      o.log.warning(`${name} for ${namespace} not updated: ${explainGitHubError(err, feature)}`, { title: 'kube-ephemeral: GitHub feedback' });
      return 'failed';
    }
  };
  const reason = o.reason ?? 'environment deleted';
  const command = o.command ?? 'cleanup';
  const comment =
    o.comment === false || !github
      ? 'off'
      : await run('PR comment', 'comment', async (g) => ((await updateExistingComment(g, ctx, prNumber, namespace, { status: 'deleted', cause: reason, command }, o.signal)) ? 'updated' : 'none'));
  const deactivated =
    o.deployment === false || !github
      ? 'off'
      : await run('GitHub Deployment', 'deployment', (g) => deactivateEnvironment(g, ctx, prNumber, { description: `namespace ${namespace} deleted`, logUrl: ctx.runUrl, signal: o.signal }));
  return { comment, deactivated, unreachable };
}

