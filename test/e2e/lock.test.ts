import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteNamespaces, exists, getJson, kubectl, restrictedKubeconfig } from './helpers/cluster.js';
import { pullRequestEvent, runAction, type ActionRun, type RunOptions } from './helpers/run-action.js';

/**
 * One run at a time per PR: two `up` runs for one PR end with one consistent environment (the
 * newer run's) and a clear message from the one that yielded; `down` wins over `up`; a crashed
 * holder's lease expires. A paused Deployment in the manifests keeps a run busy in its readiness
 * wait for as long as the test needs (it never becomes ready, and it is not a doomed state).
 */
const dir = mkdtempSync(join(tmpdir(), 'ke-lock-'));
const hold = (paused: boolean): string => {
  const file = join(dir, `hold-${paused ? 'paused' : 'running'}.yaml`);
  writeFileSync(
    file,
    `apiVersion: apps/v1
kind: Deployment
metadata: { name: hold }
spec:
  paused: ${paused}
  replicas: 1
  selector: { matchLabels: { app: hold } }
  template:
    metadata: { labels: { app: hold } }
    spec: { containers: [{ name: main, image: local/app:hold }] }
`,
  );
  return file;
};

const used: string[] = [];
let nextPr = 900_000 + Math.floor(Math.random() * 90_000);
const pr = (): { number: number; ns: string } => {
  const number = nextPr++;
  const ns = `pr-${number}-shop`;
  used.push(ns);
  return { number, ns };
};
let nextRun = 4_000_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
const sha = (c: string): string => c.repeat(40);

function upRun(number: number, runId: number, headSha: string, extra: Record<string, string>, o: Partial<RunOptions> = {}): RunOptions {
  return {
    inputs: { kubeconfig: restrictedKubeconfig(), 'app-image': 'local/app:1', 'on-success': 'keep', timeout: '2m', 'cpu-limit': '4', 'memory-limit': '4Gi', ...extra },
    event: pullRequestEvent({ number, sha: headSha }),
    runId: String(runId),
    ...o,
  };
}

/** Resolves once a line of the running action matches. */
function lineWatcher(): { onLine: (l: string) => void; seen: (re: RegExp) => Promise<string> } {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  return {
    onLine: (l) => {
      lines.push(l);
      for (const w of waiters.filter((x) => x.re.test(l))) w.resolve(l);
    },
    seen: (re) =>
      new Promise((resolve, reject) => {
        const hit = lines.find((l) => re.test(l));
        if (hit) return resolve(hit);
        waiters.push({ re, resolve });
        setTimeout(() => reject(new Error(`no line matching ${re} within 90 s; got:\n${lines.join('\n')}`)), 90_000).unref();
      }),
  };
}

const errors = (r: ActionRun): string[] => r.lines.filter((l) => l.startsWith('::error'));

interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
  metadata: { annotations: Record<string, string> };
}

afterAll(async () => {
  await deleteNamespaces(...used);
});

describe('the environment lock', () => {
  it('a run for a newer head SHA takes over: the older one stops cleanly, the environment is the newer one, the older post leaves it', async () => {
    const { number, ns } = pr();
    const older = nextRun++;
    const newer = nextRun++;
    const w = lineWatcher();
    const first = runAction(upRun(number, older, sha('a'), { manifests: hold(true), 'app-image': 'local/app:1' }, { onLine: w.onLine }));
    await w.seen(/took the environment lock of/);
    await w.seen(/waiting: .*deployment\/hold/);
    const second = await runAction(upRun(number, newer, sha('b'), { manifests: hold(false), 'app-image': 'local/app:2' }));
    const a = await first;

    expect(a.exitCode).toBe(1);
    expect(errors(a)).toEqual([
      expect.stringContaining(
        `superseded: run ${newer} (attempt 1, head SHA bbbbbbb) https://github.example/acme/shop/actions/runs/${newer} is newer and takes over ${ns}; this run (head SHA aaaaaaa) stops cleanly and leaves the environment to it`,
      ),
    ]);
    expect(second.exitCode, second.stdout).toBe(0);
    // The waiting run showed the holder and its run URL.
    expect(second.stdout).toContain(
      `waiting for run ${older} (attempt 1, head SHA aaaaaaa) https://github.example/acme/shop/actions/runs/${older}, which holds the environment lock of ${ns} (asked to stop)`,
    );

    // One consistent environment: the newer run's.
    const nsObj = await getJson<{ metadata: { labels: Record<string, string>; annotations: Record<string, string> } }>(['get', 'namespace', ns]);
    expect(nsObj.metadata.labels['kube-ephemeral.io/head-sha']).toBe(sha('b'));
    expect(nsObj.metadata.annotations['kube-ephemeral.io/run-url']).toMatch(new RegExp(`/runs/${newer}$`));
    const app = await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(['get', 'deployment', 'app', '-n', ns]);
    expect(app.spec.template.spec.containers[0]?.image).toBe('local/app:2');
    const held = await getJson<{ spec: { paused?: boolean }; status: { readyReplicas?: number } }>(['get', 'deployment', 'hold', '-n', ns]);
    expect(held.spec.paused).toBeFalsy();
    expect(held.status.readyReplicas).toBe(1);
    const lease = await getJson<Lease>(['get', 'lease', 'kube-ephemeral-lock', '-n', ns]);
    expect(lease.spec.holderIdentity).toBeUndefined(); // released at the end of the run
    expect(JSON.parse(lease.metadata.annotations['kube-ephemeral.io/holder'] ?? '{}')).toMatchObject({ intent: 'up', runId: String(newer), sha: sha('b') });
    expect(lease.spec.leaseTransitions).toBe(1);

    // The older run's post step (on-failure: delete) leaves the environment to the newer run.
    const post = await runAction({ ...upRun(number, older, sha('a'), { 'on-failure': 'delete' }), state: a.state });
    expect(post.exitCode).toBe(0);
    expect(post.stdout).toContain(`namespace ${ns} is left alone: run ${newer} (attempt 1, head SHA bbbbbbb) https://github.example/acme/shop/actions/runs/${newer} is newer and has deployed it since`);
    expect(await exists(['namespace', ns])).toBe(true);
  });

  it('an older run that arrives while a newer one holds stops without changing anything; down wins over the newer one', async () => {
    const { number, ns } = pr();
    const older = nextRun++;
    const newer = nextRun++;
    const downRun = nextRun++;
    const w = lineWatcher();
    const holder = runAction(upRun(number, newer, sha('d'), { manifests: hold(true) }, { onLine: w.onLine }));
    await w.seen(/waiting: .*deployment\/hold/);

    const late = await runAction(upRun(number, older, sha('c'), { 'app-image': 'local/app:old' }));
    expect(late.exitCode).toBe(1);
    expect(errors(late)[0]).toContain(
      `run ${newer} (attempt 1, head SHA ddddddd) https://github.example/acme/shop/actions/runs/${newer} is newer and holds ${ns}; this run (head SHA ccccccc) is older and stops without changing it`,
    );
    const nsObj = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', ns]);
    expect(nsObj.metadata.labels['kube-ephemeral.io/head-sha']).toBe(sha('d'));
    expect(late.stdout).not.toMatch(/created deployment\/app|applied deployment\/app/);

    const down = await runAction({
      inputs: { command: 'down', kubeconfig: restrictedKubeconfig(), timeout: '2m' },
      event: pullRequestEvent({ number, state: 'closed', action: 'closed' }),
      runId: String(downRun),
    });
    const up = await holder;
    expect(down.exitCode, down.stdout).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`namespace ${ns} deleted \\(gone after`));
    expect(up.exitCode).toBe(1);
    expect(errors(up)[0]).toContain(`run ${downRun} (attempt 1, down) https://github.example/acme/shop/actions/runs/${downRun} is deleting ${ns} (down always wins over up); this run (head SHA ddddddd) stops`);
    expect(await exists(['namespace', ns])).toBe(false);
  });

  it('two runs started at the same moment (both create the namespace and the lease): the newer one deploys, the older one yields', async () => {
    const { number, ns } = pr();
    const older = nextRun++;
    const newer = nextRun++;
    // The older run also runs a test Job (~2 s), so that it still holds the environment when the
    // newer process is up, however late the machine starts it (else it may simply finish first).
    const [a, b] = await Promise.all([
      runAction(upRun(number, older, sha('1'), { 'app-image': 'local/app:old', 'test-image': 'local/test:pass', 'test-command': 'npm test' })),
      runAction(upRun(number, newer, sha('2'), { 'app-image': 'local/app:new' })),
    ]);
    expect(b.exitCode, b.stdout).toBe(0);
    expect(a.exitCode, a.stdout).toBe(1);
    // Depending on who got the lease first: the older stops before changing anything, or is superseded.
    expect(errors(a)[0]).toMatch(new RegExp(`run ${newer} \\(attempt 1, head SHA 2222222\\) \\S+ is newer and (holds|has already deployed|takes over) ${ns}; this run \\(head SHA 1111111\\)`));
    const nsObj = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', ns]);
    expect(nsObj.metadata.labels['kube-ephemeral.io/head-sha']).toBe(sha('2'));
    const app = await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(['get', 'deployment', 'app', '-n', ns]);
    expect(app.spec.template.spec.containers[0]?.image).toBe('local/app:new');
  });

  it("a crashed holder's lease expires: the next run waits for it, showing the holder, then takes over", async () => {
    const { number, ns } = pr();
    const crashed = nextRun++;
    const next = nextRun++;
    const first = await runAction(upRun(number, crashed, sha('e'), {}));
    expect(first.exitCode, first.stdout).toBe(0);
    // As if run `crashed` had died while holding: a live lease (renewed 20 s ago, 30 s long) nobody renews.
    const renew = new Date(Date.now() - 20_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const holderClaim = JSON.stringify({ intent: 'up', runId: String(crashed), runAttempt: '1', sha: sha('e'), runUrl: `https://github.example/acme/shop/actions/runs/${crashed}` });
    await kubectl([
      'patch',
      'lease',
      'kube-ephemeral-lock',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ metadata: { annotations: { 'kube-ephemeral.io/holder': holderClaim } }, spec: { holderIdentity: `up/${crashed}/1`, renewTime: renew, leaseDurationSeconds: 30 } }),
    ]);
    const second = await runAction(upRun(number, next, sha('f'), { 'app-image': 'local/app:3' }));
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`waiting for run ${crashed} \\(attempt 1, head SHA eeeeeee\\) https://github.example/acme/shop/actions/runs/${crashed}, which holds the environment lock of ${ns} \\(asked to stop\\); its lease expires at `));
    expect(second.durationMs).toBeGreaterThan(7_000);
    expect(second.durationMs).toBeLessThan(60_000);
    const lease = await getJson<Lease>(['get', 'lease', 'kube-ephemeral-lock', '-n', ns]);
    expect(JSON.parse(lease.metadata.annotations['kube-ephemeral.io/holder'] ?? '{}')).toMatchObject({ runId: String(next), sha: sha('f') });
  });
});
