import { mapLimit } from '../concurrency.js';
import { errorMessage } from '../errors.js';
import type { PullState } from '../environment/sweep.js';
import type { GitHub } from './client.js';

/** A PR's state (GET /repos/{owner}/{repo}/pulls/{n}); an error is returned as such, never thrown. */
export async function pullState(github: GitHub, owner: string, repo: string, n: number, signal: AbortSignal): Promise<PullState> {
  try {
    const r = await github.rest.pulls.get({ owner, repo, pull_number: n, request: { signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]) } });
    return { state: r.data.state === 'closed' ? 'closed' : 'open', merged: r.data.merged === true };
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    const text = errorMessage(err).split('\n')[0]?.replace(/\s+-\s+https?:\S+$/, '') ?? '';
    return { error: typeof status === 'number' ? `GitHub answered ${status}${text ? ` ${text}` : ''}` : `GitHub could not be asked: ${text}` };
  }
}

/** The states of several PRs, a few requests at a time. */
export async function pullStates(github: GitHub, owner: string, repo: string, prs: readonly number[], signal: AbortSignal): Promise<Map<number, PullState>> {
  const states = await mapLimit(prs, 8, (n) => pullState(github, owner, repo, n, signal));
  return new Map(prs.map((n, i) => [n, states[i] as PullState]));
}
