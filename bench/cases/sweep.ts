/**
 * Case 3: a cleanup sweep — 200 expired environments among 400 of one repository — against the
 * kubectl script that lists them, picks the expired ones and deletes them (waiting until gone).
 * bench/cleanup-sweep.mjs (by the cleanup work) times the deletion alone, with the names given;
 * this case adds finding them among unexpired ones, on the benchmark cluster, in the common table.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/faults/helpers/local-cluster.ts';
import { newRunId, runActionTimed } from '../lib/action.ts';
import { type BenchContext, type CaseResult, type ContenderName, order, toolEnv } from '../lib/context.ts';
import { runTimed } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';

export const SWEEP_TOTAL = 400;
export const SWEEP_EXPIRED = 200;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function namespaces(repo: string, prs: readonly number[], expiresAt: string): string {
  return prs
    .map((pr) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: `pr-${pr}-${repo}`,
          labels: { 'app.kubernetes.io/managed-by': 'kube-ephemeral', 'kube-ephemeral.io/repo': `acme.${repo}`, 'kube-ephemeral.io/pr': String(pr) },
          annotations: { 'kube-ephemeral.io/expires-at': expiresAt, 'kube-ephemeral.io/repository': `acme/${repo}` },
        },
      }),
    )
    .join('\n');
}

/** Creates the namespaces in one apply, then waits until the controllers have filled every one. */
async function create(ctx: BenchContext, repo: string, prs: readonly number[], expiresAt: string): Promise<void> {
  await ctx.cluster.kubectl(['apply', '-f', '-'], { input: namespaces(repo, prs, expiresAt) });
  const want = new Set(prs.map((pr) => `pr-${pr}-${repo}`));
  for (let i = 0; ; i++) {
    const sa = await ctx.cluster.kubectl(['get', 'serviceaccounts', '-A', '--field-selector', 'metadata.name=default', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']);
    const cm = await ctx.cluster.kubectl(['get', 'configmaps', '-A', '--field-selector', 'metadata.name=kube-root-ca.crt', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}']);
    const count = (t: string): number => t.split('\n').filter((n) => want.has(n)).length;
    if (count(sa.stdout) === want.size && count(cm.stdout) === want.size) return;
    if (i > 600) throw new Error('the controllers did not fill the namespaces in 5 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function left(ctx: BenchContext, repo: string): Promise<{ total: number; expired: number }> {
  const r = await ctx.cluster.kubectl(['get', 'namespaces', '-l', `kube-ephemeral.io/repo=acme.${repo}`, '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']);
  const names = r.stdout.split('\n').filter(Boolean);
  return { total: names.length, expired: names.filter((n) => Number(/^pr-(\d+)-/.exec(n)?.[1]) < 100_000).length };
}

export async function sweepCase(ctx: BenchContext): Promise<CaseResult> {
  const contenders: ContenderName[] = ['action', 'kubectl'];
  const times: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const cpu: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const rounds = Math.max(1, Math.min(ctx.rounds, 3));
  const keepPrs = Array.from({ length: SWEEP_TOTAL - SWEEP_EXPIRED }, (_, i) => 100_001 + i);
  for (let r = 0; r < rounds; r++) {
    for (const who of order(contenders, r)) {
      // A repository of its own per sweep: nothing else carries its label.
      const repo = `sweep${Date.now().toString(36)}`;
      const expiredPrs = Array.from({ length: SWEEP_EXPIRED }, (_, i) => 1 + i);
      ctx.log(`case 3 round ${r + 1} ${who}: creating ${SWEEP_TOTAL} environments of acme/${repo}, ${SWEEP_EXPIRED} expired`);
      await create(ctx, repo, keepPrs, iso(Date.now() + 3 * 3600_000));
      await create(ctx, repo, expiredPrs, iso(Date.now() - 3600_000));
      const run =
        who === 'action'
          ? await runActionTimed({
              bundle: ctx.bundle,
              inputs: { command: 'cleanup', kubeconfig: ctx.cluster.adminKubeconfig(), timeout: '10m', comment: 'false', 'github-deployment': 'false' },
              eventName: 'schedule',
              repository: `acme/${repo}`,
              runId: newRunId(),
              cpu: true,
            })
          : await runTimed('bash', [join(REPO_ROOT, 'bench/kubectl/sweep.sh'), `acme.${repo}`], { env: toolEnv(ctx), cpu: true });
      if (run.code !== 0) throw new Error(`${who} sweep failed (${run.code}): ${run.stderr.slice(-2000)}`);
      const after = await left(ctx, repo);
      if (after.expired !== 0 || after.total !== SWEEP_TOTAL - SWEEP_EXPIRED) {
        throw new Error(`${who} sweep left ${after.expired} expired and ${after.total} in total (want 0 and ${SWEEP_TOTAL - SWEEP_EXPIRED})`);
      }
      times[who].push(run.durationMs);
      cpu[who].push(run.cpuMs);
      ctx.log(`case 3 round ${r + 1} ${who}: ${Math.round(run.durationMs)} ms`);
      // The unexpired ones go too (not timed), so that every sweep starts from the same cluster.
      await ctx.cluster.kubectl(['delete', 'namespaces', '-l', `kube-ephemeral.io/repo=acme.${repo}`, '--wait=true', '--timeout=10m']);
    }
  }
  return {
    id: 'sweep',
    title: `cleanup sweep, ${SWEEP_EXPIRED} expired of ${SWEEP_TOTAL}`,
    rows: [
      { metric: 'sweep until every expired namespace is gone', unit: 'ms', action: summarize(times.action), kubectl: summarize(times.kubectl), how: 'action: command cleanup (no github-token: expiry decides); kubectl: get -l + awk on expires-at + delete namespace <200> --wait' },
      { metric: 'CPU time of the client (user + system)', unit: 'ms', action: summarize(cpu.action), kubectl: summarize(cpu.kubectl) },
    ],
    notes: [`${rounds} round(s) (each creates ${SWEEP_TOTAL} namespaces); both leave the ${SWEEP_TOTAL - SWEEP_EXPIRED} unexpired ones alone. Helm has no equivalent.`],
  };
}
