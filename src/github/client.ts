import * as github from '@actions/github';
import { applyRequestPolicy, DEFAULT_REQUEST_POLICY, type RequestPolicy } from './request-policy.js';

/** The REST client of @actions/github (Octokit), reaching GITHUB_API_URL. */
export type GitHub = ReturnType<typeof github.getOctokit>;

/** Every request is bounded (timeout per attempt, retries of idempotent ones): GitHub never hangs the step. */
export function createGitHub(token: string, apiUrl: string, policy: RequestPolicy = DEFAULT_REQUEST_POLICY): GitHub | undefined {
  if (!token) return undefined;
  const octokit = github.getOctokit(token, { baseUrl: apiUrl });
  applyRequestPolicy(octokit, policy);
  return octokit;
}
