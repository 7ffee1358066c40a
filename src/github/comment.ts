import type { GitHub } from './client.js';
import { findMarkedComment } from './comment-body.js';
import { statusOf } from './request-policy.js';

/** Where the comment lives: the PR (an issue, for the comments API) of a repository. */
export interface CommentTarget {
  readonly owner: string;
  readonly repo: string;
  readonly prNumber: number;
}

export interface FoundComment {
  readonly id: number;
  readonly body: string;
}

/** A PR with more comments than this is not searched further (a new comment is made instead). */
const MAX_PAGES = 30;

/** The PR's comment that carries `marker`, looking through every page of the list (100 a page). */
export async function findComment(github: GitHub, t: CommentTarget, marker: string, signal?: AbortSignal): Promise<FoundComment | undefined> {
  let pages = 0;
  const iterator = github.paginate.iterator(github.rest.issues.listComments, {
    owner: t.owner,
    repo: t.repo,
    issue_number: t.prNumber,
    per_page: 100,
    ...(signal ? { request: { signal } } : {}),
  });
  for await (const page of iterator) {
    const hit = findMarkedComment(page.data, marker);
    if (hit) return { id: hit.id, body: hit.body ?? '' };
    if (++pages >= MAX_PAGES) break;
  }
  return undefined;
}

/**
 * Updates the comment `knownId` (found earlier in this run) or the one carrying `marker`, or
 * creates it. Never creates a second one: the list is read before any POST. With `unless`, the
 * current body is read first and left alone when `unless(body)` holds (e.g. a later run wrote it).
 */
export async function upsertComment(
  github: GitHub,
  t: CommentTarget,
  marker: string,
  body: string,
  o: { knownId?: number | undefined; unless?: ((current: string) => boolean) | undefined; signal?: AbortSignal | undefined } = {},
): Promise<{ id: number; created: boolean; skipped: boolean }> {
  const request = o.signal ? { request: { signal: o.signal } } : {};
  const read = async (): Promise<FoundComment | undefined> => {
    if (o.knownId === undefined) return findComment(github, t, marker, o.signal);
    if (!o.unless) return { id: o.knownId, body: '' };
    try {
      const res = await github.rest.issues.getComment({ owner: t.owner, repo: t.repo, comment_id: o.knownId, ...request });
      return { id: res.data.id, body: res.data.body ?? '' };
    } catch (err) {
      // Deleted by someone since it was found: look for another, else make a new one.
      if (statusOf(err) !== 404) throw err;
      return findComment(github, t, marker, o.signal);
    }
  };
  const found = await read();
  if (found && o.unless?.(found.body)) return { id: found.id, created: false, skipped: true };
  if (found) {
    try {
      await github.rest.issues.updateComment({ owner: t.owner, repo: t.repo, comment_id: found.id, body, ...request });
      return { id: found.id, created: false, skipped: false };
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
  const res = await github.rest.issues.createComment({ owner: t.owner, repo: t.repo, issue_number: t.prNumber, body, ...request });
  return { id: res.data.id, created: true, skipped: false };
}
