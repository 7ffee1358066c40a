import { readRunContext } from '../context.js';
import { lockForPost } from '../environment/lock.js';
import { describeTeardown, teardownNamespace, type TeardownOutcome } from '../environment/teardown.js';
import { ownerOf } from '../environment/target.js';
import { ANNOTATION } from '../environment/ownership.js';
import { readInputs } from '../inputs.js';
import { connectFromInputs } from '../kube/connect.js';
import { readNamespace } from '../kube/namespace.js';
import { writeSummary } from '../github/write-summary.js';
import { escapeHtml } from '../github/escape.js';
import { createGitHub } from '../github/client.js';
import { feedbackAfterPost } from '../github/feedback.js';
import type { PostHandler } from './post-handlers.js';

/** Pure: what post does with an ephemeral environment. A run that never finished counts as failed. */
export function postAction(outcome: 'success' | 'failure' | undefined, onSuccess: 'delete' | 'keep', onFailure: 'delete' | 'keep'): 'delete' | 'keep' {
  return outcome === 'success' ? onSuccess : onFailure;
}

/** Post after `up`: delete or keep the PR namespace (ephemeral); long-lived targets are handled by rollbackPost. */
export const upPost: PostHandler = async (saved, deps) => {
  const { log } = deps;
  if (saved.mode !== 'ephemeral') return;
  const inputs = readInputs();
  const ctx = readRunContext();
  const { kube } = connectFromInputs({ kubeconfig: inputs.kubeconfig, context: inputs.context }, (s) => log.setSecret(s));
  const how = saved.outcome === 'success' ? 'succeeded' : saved.outcome === 'failure' ? 'failed' : 'did not finish (cancelled or crashed)';
  const action = postAction(saved.outcome, inputs.onSuccess, inputs.onFailure);
  log.info(`kube-ephemeral post: the run ${how}; on-${saved.outcome === 'success' ? 'success' : 'failure'}: ${action}`);
  const signal = AbortSignal.timeout(inputs.timeoutMs + 30_000);
  let line: string;
  let outcome: Parameters<typeof feedbackAfterPost>[2] = 'kept';
  if (action === 'keep') {
    const ns = await readNamespace(kube, saved.namespace, signal);
    const expires = ns?.metadata?.annotations?.[ANNOTATION.expiresAt] ?? 'unknown';
    line = `namespace ${saved.namespace} is kept until ${expires} (then command: cleanup deletes it)`;
    log.warning(line, { title: 'kube-ephemeral kept an environment' });
  } else {
    // A run superseded by a newer one (or whose environment another run holds) leaves it to that run.
    const guard = await lockForPost({ kube, log, clock: deps.clock, signal, ctx, timeoutMs: inputs.timeoutMs }, saved.namespace, ownerOf(ctx));
    if (guard.kind === 'left') {
      log.info(guard.message);
      await writeSummary(`<h3>kube-ephemeral post</h3>\n<p>${escapeHtml(guard.message)}</p>\n`, log);
      return; // its PR comment and deployment belong to that run too
    }
    const teardown = (s: AbortSignal): Promise<TeardownOutcome> =>
      teardownNamespace(kube, saved.namespace, ownerOf(ctx), { timeoutMs: inputs.timeoutMs, signal: s, dryRun: false, log, now: () => deps.clock.now() });
    const out = guard.kind === 'locked' ? await guard.lock.run(teardown) : await teardown(signal);
    line = describeTeardown(saved.namespace, out);
    outcome = out.state === 'would-delete' ? 'kept' : out.state;
    if (out.state === 'stuck' || out.state === 'not-owned') log.warning(line, { title: 'kube-ephemeral left a namespace behind' });
    else log.info(line);
  }
  await writeSummary(`<h3>kube-ephemeral post</h3>\n<p>${escapeHtml(line)}</p>\n`, log);
  await feedbackAfterPost({ inputs, ctx, github: createGitHub(inputs.githubToken, ctx.apiUrl), log }, saved.namespace, outcome, line);
};
