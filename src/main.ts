import * as core from '@actions/core';
import { systemClock, type Clock } from './clock.js';
import { COMMAND_HANDLERS } from './commands/index.js';
import { readRunContext } from './context.js';
import { ActionError, errorDetails, errorMessage } from './errors.js';
import { createGitHub, type GitHub } from './github/client.js';
import { feedbackEnd, feedbackStart, type FeedbackDeps } from './github/feedback.js';
import { renderSummary } from './github/summary.js';
import { writeSummary } from './github/write-summary.js';
import { neutralizeCommands } from './github/safe-output.js';
import { readInputs, type Inputs } from './inputs.js';
import { connectFromInputs, serverVersion } from './kube/connect.js';
import { runnerLog, type Log } from './log.js';
import { Report, type Status } from './report.js';
import { StateWriter, runnerState, type StateStore } from './state.js';

export interface MainDeps {
  readonly log: Log;
  readonly clock: Clock;
  readonly store: StateStore;
}

export class CancelledError extends ActionError {
  constructor(signalName: string) {
    super(`the run was cancelled (${signalName}); post cleans up what was created`);
    this.name = 'CancelledError';
  }
}

/** Aborts on the runner's SIGINT/SIGTERM so waits and log streams stop at once. */
function cancellation(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const h = (): void => ac.abort(new CancelledError(name));
    process.on(name, h);
    return [name, h] as const;
  });
  return { signal: ac.signal, dispose: () => handlers.forEach(([n, h]) => process.off(n, h)) };
}

export async function runMain(deps: MainDeps = { log: runnerLog, clock: systemClock, store: runnerState }): Promise<void> {
  const { log, clock } = deps;
  const { signal, dispose } = cancellation();
  const state = new StateWriter(deps.store);
  let report = new Report(process.env.INPUT_COMMAND?.trim() || 'up', clock);
  let inputs: Inputs | undefined;
  let status: Status = 'success';
  let cause: string | undefined;
  let github: GitHub | undefined;
  let feedback: FeedbackDeps | undefined;
  let details: readonly string[] = [];
  try {
    inputs = readInputs();
    report = new Report(inputs.command, clock, inputs.dryRun);
    const ctx = readRunContext();
    github = createGitHub(inputs.githubToken, ctx.apiUrl);
    feedback = { inputs, ctx, github, log };
    await feedbackStart(feedback);
    const { kube, server, context } = connectFromInputs({ kubeconfig: inputs.kubeconfig, context: inputs.context }, (s) => log.setSecret(s));
    const version = await serverVersion(kube, signal);
    report.serverVersion = version.gitVersion;
    log.info(`Connected to ${server} (context ${context || '-'}, Kubernetes ${version.gitVersion})${inputs.dryRun ? ' — dry run: nothing will be changed' : ''}`);
    await COMMAND_HANDLERS[inputs.command]({ inputs, ctx, kube, log, clock, state, report, signal, github });
  } catch (err) {
    status = signal.aborted ? 'cancelled' : 'failure';
    const reason: unknown = signal.aborted ? signal.reason : err;
    cause = errorMessage(reason).split('\n')[0];
    log.error(cause ?? 'failed', { title: `kube-ephemeral ${report.command} failed` });
    details = errorDetails(reason);
    // Details can quote the cluster and pod logs: nothing in them may act as a workflow command.
    for (const line of details) log.info(neutralizeCommands(line));
    if (!(reason instanceof ActionError)) log.debug(String((err as Error)?.stack ?? err));
    process.exitCode = 1;
  } finally {
    dispose();
    state.finish(status === 'success' ? 'success' : 'failure', cause);
    const result = report.toResult(status, cause);
    for (const [k, v] of Object.entries(report.outputs)) core.setOutput(k, v);
    core.setOutput('result', JSON.stringify(result));
    if (feedback) await feedbackEnd(feedback, result, report.outputs);
    await writeSummary(renderSummary(result, (report.extra.summarySections as string[] | undefined) ?? [], { outputs: report.outputs, details }), log);
  }
}
