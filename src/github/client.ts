import * as github from '@actions/github';

/** The REST client of @actions/github (Octokit), reaching GITHUB_API_URL. */
export type GitHub = ReturnType<typeof github.getOctokit>;

export function createGitHub(token: string, apiUrl: string): GitHub | undefined {
  if (!token) return undefined;
  return github.getOctokit(token, { baseUrl: apiUrl });
}
