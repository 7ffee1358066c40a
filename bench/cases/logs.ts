/**
 * Case 2: a Job's log of 200 000 lines streamed to the workflow log, against `kubectl logs -f`.
 * kwok serves the log from a file (CRI format, 200 000 numbered lines, ten per millisecond) and its
 * follow never ends, so the end is "all 200 000 lines received" for both; the process is stopped
 * then. Every line is checked: none may be lost, repeated or out of order.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineLedger, bigLog } from '../../test/faults/helpers/big-log.ts';
import { REPO_ROOT } from '../../test/faults/helpers/local-cluster.ts';
import { newRunId, runActionTimed } from '../lib/action.ts';
import { type BenchContext, type CaseResult, type ContenderName, order, toolEnv, waitGone } from '../lib/context.ts';
import { runTimed } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';

export const LOG_LINES = 200_000;

export function jobManifest(name: string, duration: string): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    '    metadata:',
    '      annotations:',
    `        kube-ephemeral.test/run-duration: "${duration}"`,
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '      - name: tests',
    '        image: local/test:pass',
    '',
  ].join('\n');
}

export async function logsCase(ctx: BenchContext): Promise<CaseResult> {
  const content = bigLog(LOG_LINES);
  const manifest = join(ctx.work, 'big-job.yaml');
  writeFileSync(manifest, jobManifest('big', '300s'));
  const contenders: ContenderName[] = ['action', 'kubectl'];
  const total: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const stream: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const lost: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const dup: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const disorder: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const cpu: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  for (let r = 0; r < ctx.rounds; r++) {
    for (const who of order(contenders, r)) {
      const ns = `logs-${who}-${r + 1}-${Date.now().toString(36)}`;
      await ctx.cluster.kubectl(['create', 'namespace', ns]);
      // Registered empty, then filled: the harness's readiness probe reads the whole file in 2 s at most.
      const nsFile = join(ctx.work, `${ns}.log`);
      writeFileSync(nsFile, '');
      await ctx.cluster.registerPodLogs(ns, nsFile);
      writeFileSync(nsFile, content);
      await ctx.cluster.kubectl(['-n', ns, 'wait', '--for=create', 'serviceaccount/default', '--timeout=60s']);
      const ledger = new LineLedger(LOG_LINES);
      const o = { onLine: (l: string, at: number) => void ledger.add(l, at), killWhen: () => !Number.isNaN(ledger.lastAt), timeoutMs: 300_000, cpu: true };
      const run =
        who === 'action'
          ? await runActionTimed({ ...o, bundle: ctx.bundle, inputs: { command: 'run-job', kubeconfig: ctx.cluster.adminKubeconfig(), namespace: ns, job: manifest, comment: 'false', 'github-deployment': 'false' }, eventName: 'workflow_dispatch', runId: newRunId() })
          : await runTimed('bash', [join(REPO_ROOT, 'bench/kubectl/logs.sh'), ns, manifest], { ...o, env: toolEnv(ctx) });
      if (Number.isNaN(ledger.lastAt)) throw new Error(`${who} round ${r + 1}: only ${ledger.unique} of ${LOG_LINES} lines (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
      total[who].push(ledger.lastAt);
      stream[who].push(ledger.lastAt - ledger.firstAt);
      lost[who].push(ledger.lost);
      dup[who].push(ledger.duplicated);
      disorder[who].push(ledger.outOfOrder);
      cpu[who].push(run.cpuMs);
      await ctx.cluster.unregisterPodLogs(ns);
      await ctx.cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
      await waitGone(ctx, ns);
    }
    ctx.log(`case 2 round ${r + 1}/${ctx.rounds}: all lines after action ${Math.round(total.action.at(-1) ?? 0)} ms, kubectl ${Math.round(total.kubectl.at(-1) ?? 0)} ms`);
  }
  const row = (metric: string, unit: 'ms' | 'lines', d: Record<ContenderName, number[]>, how?: string) => ({ metric, unit, action: summarize(d.action), kubectl: summarize(d.kubectl), ...(how ? { how } : {}) });
  return {
    id: 'logs',
    title: `Job log, ${LOG_LINES / 1000}k lines`,
    rows: [
      row(`spawn to all ${LOG_LINES} lines received`, 'ms', total, 'action: run-job (creates the Job, follows its log into the workflow log); kubectl: create -f, logs -f job/big'),
      row('first line to last line', 'ms', stream),
      row('CPU time of the client (user + system)', 'ms', cpu, 'GNU time; the machine has 2 cores shared by kwok, the API server, the client and the harness'),
      row('lines lost', 'lines', lost),
      row('lines repeated', 'lines', dup),
      row('lines out of order', 'lines', disorder),
    ],
    notes: ['Helm has no live log stream (`helm test --logs` prints the log after the test has ended): no Helm column.'],
  };
}
