import { ActionError } from '../errors.js';
import { logTail, runJob } from '../kube/job-run.js';
import { addSummarySection, logSection } from '../github/summary.js';
import type { PreparedUp } from './up-prepare.js';
import type { CommandDeps } from './types.js';

/** The test Job of `up`: created with a name unique to the run attempt, its logs streamed live. */
export async function runTestJob(deps: CommandDeps, p: PreparedUp): Promise<void> {
  const { inputs, report, log } = deps;
  const job = p.plan.testJob;
  if (!job) return;
  const namespace = p.dryRunNamespace ?? p.target.namespace;
  const r = await runJob(deps, job, { namespace, timeoutMs: inputs.jobTimeoutMs, dryRun: inputs.dryRun });
  report.resource({ kind: 'Job', name: r.jobName, namespace, action: inputs.dryRun ? 'would-create' : 'created' });
  report.output('job-name', r.jobName);
  report.output('test-result', r.result);
  if (r.exitCode !== undefined) report.output('test-exit-code', String(r.exitCode));
  report.set('test', { job: r.jobName, result: r.result, exitCode: r.exitCode ?? null, reason: r.reason, pod: r.podName ?? null, durationMs: r.durationMs, logLines: r.logLines });
  if (r.podName && !inputs.dryRun) {
    // The end of the log, read back from the cluster, for the job summary (escaped there).
    const tail = await logTail(deps.kube, namespace, r.podName, 'test', false, deps.signal, 200).catch(() => []);
    addSummarySection(report, logSection(`Test job ${r.jobName}: last log lines of pod ${r.podName}`, tail));
  }
  if (r.result === 'failed') throw new ActionError(r.message, r.evidence);
  log.info(r.message);
}
