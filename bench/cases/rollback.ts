/**
 * Case 6: rolling back a failed release, where Helm does the same work.
 *   failed release, detected and rolled back: the app's image changed to one that cannot be
 *     pulled. Action: `up` into a long-lived namespace fails fast (ImagePullBackOff), its post
 *     step rolls the Deployment back to the recorded revision. Helm: `helm upgrade
 *     --rollback-on-failure --wait`. kubectl: set image, rollout status (fails at the timeout),
 *     rollout undo, rollout status. Same timeout for all (60 s).
 *   rollback alone (the failed rollout is there): action `command: rollback`; `helm rollback
 *     --wait`; `kubectl rollout undo` + `rollout status`.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/faults/helpers/local-cluster.ts';
import { newRunId, runActionTimed } from '../lib/action.ts';
import { type BenchContext, type CaseResult, type ContenderName, order, toolEnv, waitGone } from '../lib/context.ts';
import { runTimed } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';
import { upInputs } from './up.ts';

const GOOD = 'ghcr.io/acme/shop:1.0.0';
const BAD = 'local/app:bad-image';
const TIMEOUT_S = 60;

export async function rollbackCase(ctx: BenchContext): Promise<CaseResult> {
  const contenders: ContenderName[] = ctx.helm ? ['action', 'kubectl', 'helm'] : ['action', 'kubectl'];
  const failed: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const alone: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const rounds = Math.max(1, Math.min(ctx.rounds, 3));
  const chart = join(REPO_ROOT, 'bench/chart');
  const kubectlScript = join(REPO_ROOT, 'bench/kubectl/rollback.sh');
  const helmScript = join(REPO_ROOT, 'bench/helm/rollback.sh');
  const action = (ns: string, extra: Record<string, string>, state?: Readonly<Record<string, string>>, runId = newRunId()) =>
    runActionTimed({ bundle: ctx.bundle, inputs: upInputs(ctx, { namespace: ns, timeout: `${TIMEOUT_S}s`, 'test-image': '', 'test-command': '', ...extra }), eventName: 'workflow_dispatch', runId, ...(state ? { state } : {}) });

  /** Revision 1 (good, ready), untimed. */
  const release1 = async (who: ContenderName, ns: string): Promise<void> => {
    if (who === 'helm') {
      const r = await runTimed(ctx.helm ?? 'helm', ['install', 'shop', chart, '-n', ns, '--create-namespace', '--wait', '--timeout', '5m'], { env: toolEnv(ctx) });
      if (r.code !== 0) throw new Error(`helm install: ${r.stderr}`);
      return;
    }
    await ctx.cluster.kubectl(['create', 'namespace', ns]);
    await ctx.cluster.kubectl(['-n', ns, 'wait', '--for=create', 'serviceaccount/default', '--timeout=60s']);
    if (who === 'action') {
      const r = await action(ns, { 'app-image': GOOD });
      if (r.code !== 0) throw new Error(`action revision 1: ${r.result?.cause ?? r.stderr}`);
    } else {
      const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app' }, spec: { replicas: 1, selector: { matchLabels: { app: 'app' } }, template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image: GOOD }] } } } };
      await ctx.cluster.kubectl(['-n', ns, 'apply', '-f', '-'], { input: JSON.stringify(deployment) });
      await ctx.cluster.kubectl(['-n', ns, 'rollout', 'status', 'deployment/app', '--timeout=60s']);
    }
  };

  const appImage = async (ns: string): Promise<string> =>
    (await ctx.cluster.kubectl(['-n', ns, 'get', 'deployment', 'app', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).stdout;

  for (let r = 0; r < rounds; r++) {
    for (const who of order(contenders, r)) {
      // failed release, detected and rolled back
      const ns = `rb-${who}-${r + 1}-${Date.now().toString(36)}`;
      await release1(who, ns);
      let ms: number;
      if (who === 'action') {
        const runId = newRunId();
        const main = await action(ns, { 'app-image': BAD }, undefined, runId);
        if (main.code === 0) throw new Error('action: up with a bad image succeeded');
        const post = await action(ns, { 'app-image': BAD }, main.state, runId);
        ms = main.durationMs + post.durationMs;
      } else {
        const run =
          who === 'kubectl'
            ? await runTimed('bash', [kubectlScript, 'failed-release', ns, `${TIMEOUT_S}s`, BAD], { env: toolEnv(ctx) })
            : await runTimed('bash', [helmScript, 'failed-release', ns, `${TIMEOUT_S}s`, chart, BAD], { env: toolEnv(ctx) });
        if (run.code !== 0) throw new Error(`${who} failed-release: ${run.stderr}`);
        ms = run.durationMs;
      }
      await ctx.cluster.kubectl(['-n', ns, 'rollout', 'status', 'deployment/app', '--timeout=60s']);
      if ((await appImage(ns)) !== GOOD) throw new Error(`${who}: the app does not run ${GOOD} after the rollback`);
      failed[who].push(ms);

      // the rollback alone: break the release again (untimed), then roll back (timed)
      if (who === 'helm') {
        const up = await runTimed(ctx.helm ?? 'helm', ['upgrade', 'shop', chart, '-n', ns, '--set', `app.image=${BAD}`], { env: toolEnv(ctx) });
        if (up.code !== 0) throw new Error(`helm upgrade: ${up.stderr}`);
      } else {
        await ctx.cluster.kubectl(['-n', ns, 'set', 'image', 'deployment/app', `app=${BAD}`]);
      }
      await ctx.cluster.kubectl(['-n', ns, 'wait', '--for=jsonpath={.status.updatedReplicas}=1', 'deployment/app', '--timeout=60s']);
      const t = await (who === 'action'
        ? runActionTimed({ bundle: ctx.bundle, inputs: { command: 'rollback', kubeconfig: ctx.cluster.adminKubeconfig(), namespace: ns, deployment: 'app', timeout: `${TIMEOUT_S}s` }, eventName: 'workflow_dispatch', runId: newRunId() })
        : who === 'kubectl'
          ? runTimed('bash', [kubectlScript, 'rollback', ns, `${TIMEOUT_S}s`], { env: toolEnv(ctx) })
          : runTimed('bash', [helmScript, 'rollback', ns, `${TIMEOUT_S}s`, chart], { env: toolEnv(ctx) }));
      if (t.code !== 0) throw new Error(`${who} rollback: ${t.stderr.slice(-1000)}`);
      if ((await appImage(ns)) !== GOOD) throw new Error(`${who}: the app does not run ${GOOD} after the rollback alone`);
      alone[who].push(t.durationMs);
      await ctx.cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
      await waitGone(ctx, ns);
      ctx.log(`case 6 round ${r + 1} ${who}: failed release rolled back in ${Math.round(ms)} ms, rollback alone ${Math.round(t.durationMs)} ms`);
    }
  }
  const row = (metric: string, d: Record<ContenderName, number[]>, how: string) => ({ metric, unit: 'ms' as const, action: summarize(d.action), kubectl: summarize(d.kubectl), ...(ctx.helm ? { helm: summarize(d.helm) } : {}), how });
  return {
    id: 'rollback',
    title: 'roll back a failed release',
    rows: [
      row(`bad image: failure detected, rolled back, ready (timeout ${TIMEOUT_S} s)`, failed, 'action: up (long-lived namespace) fails fast + post rolls back; helm upgrade --rollback-on-failure --wait; kubectl set image + rollout status + rollout undo + rollout status'),
      row('rollback alone, until ready', alone, 'action: command rollback; helm rollback --wait; kubectl rollout undo + rollout status'),
    ],
    notes: [
      `${rounds} round(s). Helm and kubectl wait for the whole timeout before they know the rollout failed: ImagePullBackOff is not a failure to them; the action stops at the first doomed pod.`,
      'The action\'s up and Helm\'s release also carry PostgreSQL and the namespace setup; kubectl only the app Deployment.',
    ],
  };
}
