import { GitHubUnreachableError, statusOf } from './request-policy.js';

/** Pure: whether GitHub never answered (timeout, lost connection): later calls would wait in vain. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof GitHubUnreachableError;
}

function firstLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  // Octokit appends " - https://docs.github.com/..." to GitHub's message.
  return (m.split('\n')[0] ?? '').replace(/ - https:\/\/docs\.github\.com\S*$/, '').slice(0, 300);
}

/** Pure: one line saying why a GitHub call failed and what the user can do about it. */
export function explainGitHubError(err: unknown, feature: 'comment' | 'deployment'): string {
  if (isUnreachable(err)) return `${firstLine(err)} (no further GitHub calls in this run)`;
  const status = statusOf(err);
  const msg = firstLine(err);
  const input = feature === 'comment' ? 'comment' : 'github-deployment';
  const permission = feature === 'comment' ? 'pull-requests: write' : 'deployments: write';
  switch (status) {
    case 401:
      return `GitHub rejected the github-token (401 ${msg})`;
    case 403:
      return (
        `the token may not write ${feature === 'comment' ? 'PR comments' : 'deployments'} (403 ${msg}); ` +
        `a pull_request from a fork gets a read-only GITHUB_TOKEN, otherwise grant the job \`permissions: ${permission}\`, or set ${input}: false`
      );
    case 404:
      return `GitHub answered 404 (${msg}): the token cannot see this repository or pull request`;
    case 422:
      return `GitHub refused the request (422 ${msg})`;
    case undefined:
      return msg;
    default:
      return `GitHub answered ${status} (${msg})`;
  }
}
