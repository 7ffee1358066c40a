import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEnv, restrictedKubeconfig } from './helpers/cluster.js';
import { FakeGitHub } from './helpers/fake-github.js';
import { pullRequestEvent, runAction, runMainAndPost } from './helpers/run-action.js';

describe('the bundled action, run as the runner runs it', () => {
  const github = new FakeGitHub();
  beforeAll(async () => {
    await github.start();
  });
  afterAll(async () => {
    await github.stop();
  });

  it('connects with the restricted kubeconfig and reports the server version', async () => {
    const { main, post } = await runMainAndPost({
      inputs: { command: 'list', kubeconfig: restrictedKubeconfig(), 'github-token': 'ghs_fake' },
      event: pullRequestEvent({ number: 7 }),
      apiUrl: github.url,
    });
    const version = clusterEnv().KUBE_VERSION ?? 'v1.37.2';
    expect(main.exitCode, main.stdout).toBe(0);
    expect(main.stdout).toContain(`Kubernetes ${version}`);
    expect(main.result).toMatchObject({ command: 'list', status: 'success', serverVersion: version });
    expect(main.summary).toContain(version);
    // The post step ran with main's state (isPost) and found nothing to clean up after `list`.
    expect(main.state.isPost).toBe('true');
    expect(post.exitCode).toBe(0);
    expect(post.stdout).toMatch(/nothing to (do|clean up)/);
  });

  it('masks the kubeconfig token and fails with one clear line when the server cannot be reached', async () => {
    const kubeconfig = restrictedKubeconfig().replace(/server: .*/, 'server: https://127.0.0.1:1');
    const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
    const run = await runAction({ inputs: { command: 'list', kubeconfig }, event: pullRequestEvent({ number: 7 }) });
    expect(run.exitCode).toBe(1);
    expect(token.length).toBeGreaterThan(10);
    expect(run.stdout).toContain(`::add-mask::${token}`);
    expect(run.lines.filter((l) => l.startsWith('::error'))).toEqual([
      expect.stringMatching(/cannot reach the API server \(ECONNREFUSED/),
    ]);
    expect(run.result?.status).toBe('failure');
  });

  it('rejects bad input before connecting, naming the input', async () => {
    const run = await runAction({ inputs: { command: 'deploy', kubeconfig: restrictedKubeconfig() }, event: pullRequestEvent({ number: 7 }) });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("command: 'deploy' is not accepted; use one of up, down, cleanup, list, status, apply, scale, restart, rollback, run-job");
    expect(run.stdout).not.toContain('Connected to');
  });
});
