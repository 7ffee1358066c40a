// npm run demo: the whole pull-request flow on the local control plane, as a GitHub runner runs it.
//   1. the control plane comes up (built from Go modules on first use, cached afterwards);
//   2. the bundled action runs `up` for PR #1 of acme/shop: namespace with quota, limits, network
//      policy and expiry; PostgreSQL; the app; the test Job, whose log streams live below;
//   3. the post step deletes the namespace and waits until it is gone;
//   4. the demo checks that nothing is left behind.
// The GitHub REST API is a local fake, so the sticky PR comment and the Deployment are shown too.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, env24, node24, root, run } from './ensure-install.mjs';

ensureInstalled();
if (Number(process.versions.node.split('.')[0]) < 24) {
  // Re-run on the Node 24 the packages brought (the helpers below are TypeScript, run as is).
  const r = spawnSync(node24, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit', env: env24() });
  process.exit(r.status ?? 1);
}

const { runAction, pullRequestEvent } = await import('../test/e2e/helpers/run-action.ts');
const { FakeGitHub } = await import('../test/e2e/helpers/fake-github.ts');

const step = (s) => console.log(`\n\x1b[1m== ${s}\x1b[0m`);
const t0 = Date.now();
step('Local control plane');
run('bash', [join(root, 'scripts/cluster/cluster.sh'), 'up'], { env: env24() });
const clusterEnv = Object.fromEntries(
  execFileSync('cat', [join(root, '.cluster/env')], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.replace(/^export\s+/, '').split('='))
    .filter(([k, v]) => k && v !== undefined)
    .map(([k, ...v]) => [k, v.join('=').replace(/^["']|["']$/g, '')]),
);
const kubeconfig = execFileSync('cat', [clusterEnv.KUBECONFIG_RESTRICTED], { encoding: 'utf8' });
const kubectl = (...args) => execFileSync(clusterEnv.KUBECTL, ['--kubeconfig', clusterEnv.KUBECONFIG_ADMIN, ...args], { encoding: 'utf8' });

const pr = 1;
const namespace = `pr-${pr}-shop`;
// What the test container prints: kwok serves this file as the pod's log.
const dir = mkdtempSync(join(tmpdir(), 'ke-demo-'));
const logFile = join(dir, 'test.log');
const now = Date.now();
const testOutput = [
  '> shop@1.0.0 test',
  '> vitest run',
  ' ✓ cart.test.ts (12 tests) 41ms',
  ' ✓ checkout.test.ts (7 tests) 88ms',
  ' ✓ db.test.ts (5 tests) 130ms   -- connected to $DATABASE_URL',
  ' Test Files  3 passed (3)',
  '      Tests  24 passed (24)',
];
writeFileSync(logFile, testOutput.map((l, i) => `${new Date(now + i).toISOString()} stdout F ${l}\n`).join(''));
run('bash', [join(root, 'scripts/cluster/cluster.sh'), 'logs', namespace, logFile], { env: env24() });

const github = await new FakeGitHub().start();
const common = {
  inputs: {
    kubeconfig,
    'app-image': 'ghcr.io/acme/shop:1.0.0',
    'app-health-path': '/healthz',
    database: 'postgresql',
    'test-image': 'local/test:pass',
    'test-command': 'npm test',
    ttl: '2h',
    'github-token': 'ghs_demo_token',
  },
  event: pullRequestEvent({ number: pr, sha: '4f2a9c1e'.padEnd(40, '0') }),
  repository: 'acme/shop',
  runId: String(Math.floor(Date.now() / 1000)), // main and post are steps of one run
  apiUrl: github.url,
  onLine: (line) => console.log(line),
};

step(`Main step: up for PR #${pr} (the runner's log follows)`);
const main = await runAction(common);
step('Post step');
const post = await runAction({ ...common, state: main.state });
await github.stop();

step('Result');
const result = main.result ?? {};
for (const p of result.phases ?? []) console.log(`  ${p.name.padEnd(28)} ${(p.durationMs / 1000).toFixed(2)} s`);
console.log(`  ${'up in total'.padEnd(28)} ${((result.durationMs ?? 0) / 1000).toFixed(2)} s`);
console.log(`  outputs: namespace=${main.outputs.namespace} test-result=${main.outputs['test-result']} job-name=${main.outputs['job-name']} app-url=${main.outputs['app-url']}`);
const comments = [...github.comments.values()].flat();
console.log(`  GitHub: ${comments.length} PR comment(s), ${github.deployments.length} deployment(s) with statuses ${github.deployments.flatMap((d) => d.statuses.map((s) => s.state)).join(' -> ') || '-'}`);
const left = kubectl('get', 'namespace', namespace, '--ignore-not-found', '-o', 'name').trim();
console.log(`  namespace ${namespace} after post: ${left ? 'STILL THERE' : 'gone'}`);
const ok = main.exitCode === 0 && post.exitCode === 0 && !left && main.outputs['test-result'] === 'passed';
console.log(`\n${ok ? 'demo passed' : 'demo FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(ok ? 0 : 1);
