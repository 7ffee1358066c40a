import { readFileSync } from 'node:fs';

/** What the workflow run tells us about itself (GITHUB_* variables and the event file). */
export interface RunContext {
  readonly owner: string;
  readonly repo: string;
  readonly eventName: string;
  /** PR number from the event (pull_request*, issue_comment on a PR), if any. */
  readonly eventPrNumber: number | undefined;
  /** Head commit of the PR, else GITHUB_SHA. */
  readonly sha: string;
  readonly runId: string;
  readonly runAttempt: string;
  readonly runUrl: string;
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly actor: string;
  /** The PR's state in the event ("open", "closed"), if any. */
  readonly prState: string | undefined;
}

interface PullRequestEvent {
  number?: number;
  pull_request?: { number?: number; state?: string; head?: { sha?: string } };
  issue?: { number?: number; pull_request?: unknown };
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Pure: builds the context from the environment and the parsed event. */
export function runContextFrom(env: Env, event: PullRequestEvent): RunContext {
  const [owner = '', repo = ''] = (env.GITHUB_REPOSITORY ?? '').split('/');
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const runId = env.GITHUB_RUN_ID ?? '0';
  const pr = event.pull_request;
  const issuePr = event.issue?.pull_request ? event.issue.number : undefined;
  const num = pr?.number ?? (pr ? event.number : undefined) ?? issuePr;
  return {
    owner,
    repo,
    eventName: env.GITHUB_EVENT_NAME ?? '',
    eventPrNumber: typeof num === 'number' && num > 0 ? num : undefined,
    sha: pr?.head?.sha ?? env.GITHUB_SHA ?? '',
    runId,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    runUrl: `${serverUrl}/${owner}/${repo}/actions/runs/${runId}`,
    serverUrl,
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    actor: env.GITHUB_ACTOR ?? '',
    prState: pr?.state,
  };
}

export function readRunContext(env: Env = process.env): RunContext {
  let event: PullRequestEvent = {};
  const path = env.GITHUB_EVENT_PATH;
  if (path) {
    try {
      event = JSON.parse(readFileSync(path, 'utf8')) as PullRequestEvent;
    } catch {
      event = {};
    }
  }
  return runContextFrom(env, event);
}
