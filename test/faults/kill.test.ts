/**
 * Fault 3: the action process killed in the middle of `up` — SIGTERM then SIGKILL 2.5 s later
 * (what the runner does on cancel), or SIGKILL at once (the runner dies) — at several points.
 * The post step, run from the state main saved, or else the next `cleanup` once the environment
 * has expired, leaves nothing behind.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SLOW_READY_IMAGE } from './helpers/stages.js';
import { actionPid, baseInputs, cleanupNamespaces, cluster, criLines, freshPr, namespaceExists, namespaceGone, nextRunId, pullRequestEvent, runAction, sleep } from './helpers/faults.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-faults-kill-'));
afterAll(cleanupNamespaces);

/** Everything in the cluster that carries this PR's label (namespaced objects and namespaces). */
async function leftovers(pr: number): Promise<string[]> {
  const r = await cluster.kubectl(['get', 'namespaces,all,secrets,leases,resourcequotas,limitranges,networkpolicies,configmaps', '-A', '-l', `kube-ephemeral.io/pr=${pr}`, '-o', 'name'], { allowFail: true });
  return r.stdout.split('\n').filter(Boolean);
}

async function withTestLog(ns: string): Promise<void> {
  const file = join(dir, `${ns}.log`);
  writeFileSync(file, criLines(['tests running']));
  await cluster.registerPodLogs(ns, file);
}

const upInputs = (extra: Record<string, string> = {}) =>
  baseInputs({ 'app-image': 'ghcr.io/acme/shop:1.0.0', database: 'postgresql', 'test-image': 'local/test:pass', 'test-command': 'npm test', ...extra });

describe('the action killed during up', () => {
  const points: [string, (line: string) => boolean, Record<string, string>][] = [
    ['right after the namespace is created', (l) => l.startsWith('  applied namespace/'), {}],
    ['while it applies the app and the database', (l) => l === '::group::Deploy', {}],
    ['while it waits for the rollout', (l) => l === '::group::Wait for readiness', { 'app-image': SLOW_READY_IMAGE }],
    ['while the test Job runs', (l) => l.startsWith('Created job '), {}],
  ];
  for (const [when, killWhen, extra] of points) {
    it(`SIGTERM ${when}: main stops as cancelled, post deletes everything`, async () => {
      const { number, ns } = freshPr();
      await withTestLog(ns);
      const o = { inputs: upInputs(extra), event: pullRequestEvent({ number }), runId: nextRunId() };
      const main = await runAction({ ...o, killWhen });
      expect(main.exitCode === 0, main.stdout.slice(-2000)).toBe(false);
      // SIGTERM is handled: the run says it was cancelled (it did not die half-way)
      expect(main.signal).toBeNull();
      expect(main.result?.status).toBe('cancelled');
      expect(main.state.namespace).toBe(ns);
      const post = await runAction({ ...o, state: main.state });
      expect(post.exitCode, post.stdout).toBe(0);
      expect(await namespaceGone(ns)).toBe(true);
      expect(await leftovers(number)).toEqual([]);
    });
  }

  it('SIGKILL while it applies: post, from the state saved before the first change, deletes everything', async () => {
    const { number, ns } = freshPr();
    await withTestLog(ns);
    const runId = nextRunId();
    const o = { inputs: upInputs(), event: pullRequestEvent({ number }), runId };
    let killed = false;
    const main = await runAction({
      ...o,
      onLine: (line) => {
        if (!killed && line === '::group::Deploy') {
          const pid = actionPid(runId);
          if (pid) {
            process.kill(pid, 'SIGKILL');
            killed = true;
          }
        }
      },
    });
    expect(killed).toBe(true);
    expect(main.signal).toBe('SIGKILL');
    expect(main.state.namespace).toBe(ns);
    expect(await namespaceExists(ns)).toBe(true); // something was left for post to remove
    const post = await runAction({ ...o, state: main.state });
    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.stdout).toMatch(/did not finish/);
    expect(await namespaceGone(ns)).toBe(true);
    expect(await leftovers(number)).toEqual([]);
  });

  it('SIGKILL and no post at all (the runner died): the next cleanup after the expiry removes the environment', async () => {
    const { number, ns } = freshPr();
    await withTestLog(ns);
    const runId = nextRunId();
    let killed = false;
    const main = await runAction({
      inputs: upInputs({ ttl: '1m', 'app-image': SLOW_READY_IMAGE }),
      event: pullRequestEvent({ number }),
      runId,
      onLine: (line) => {
        if (!killed && line === '::group::Wait for readiness') {
          const pid = actionPid(runId);
          if (pid) {
            process.kill(pid, 'SIGKILL');
            killed = true;
          }
        }
      },
    });
    expect(main.signal).toBe('SIGKILL');
    expect(await namespaceExists(ns)).toBe(true);
    // Before the expiry, cleanup keeps it.
    const early = await runAction({ inputs: baseInputs({ command: 'cleanup' }), eventName: 'schedule' });
    expect(early.exitCode, early.stdout).toBe(0);
    expect(await namespaceExists(ns)).toBe(true);
    // The ttl (1 minute) passes; so does the killed run's lock (its Lease is no longer renewed).
    const ann = (await cluster.kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.annotations.kube-ephemeral\\.io/expires-at}'])).stdout;
    const lease = await cluster.getJson<{ spec?: { renewTime?: string; leaseDurationSeconds?: number } }>(['-n', ns, 'get', 'lease', 'kube-ephemeral-lock']).catch(() => undefined);
    const leaseEnd = Date.parse(lease?.spec?.renewTime ?? '') + (lease?.spec?.leaseDurationSeconds ?? 0) * 1000;
    const until = Math.max(Date.parse(ann), Number.isFinite(leaseEnd) ? leaseEnd : 0) + 2000;
    await sleep(Math.max(0, until - Date.now()));
    const sweep = await runAction({ inputs: baseInputs({ command: 'cleanup' }), eventName: 'schedule' });
    expect(sweep.exitCode, sweep.stdout).toBe(0);
    expect(await namespaceGone(ns)).toBe(true);
    expect(await leftovers(number)).toEqual([]);
  });
});
