import { describeTeardown, failUnlessRemoved, teardownNamespace } from '../environment/teardown.js';
import { resolveTarget } from '../environment/target.js';
import type { CommandFn } from './types.js';

/** `command: down` (pull_request: closed): deletes the PR's environment, only when it is ours. */
export const down: CommandFn = async ({ inputs, ctx, kube, log, report, signal, clock }) => {
  const target = resolveTarget(inputs, ctx);
  report.namespace = target.namespace;
  report.output('namespace', target.namespace);
  const out = await report.phase(log, `Delete ${target.namespace}`, () =>
    teardownNamespace(kube, target.namespace, target.owner, { timeoutMs: inputs.timeoutMs, signal, dryRun: inputs.dryRun, log, now: () => clock.now() }),
  );
  log.info(describeTeardown(target.namespace, out));
  report.set('teardown', out.state);
  if (out.state === 'deleted' || out.state === 'would-delete') report.resource({ kind: 'Namespace', name: target.namespace, action: out.state === 'deleted' ? 'deleted' : 'would-delete' });
  failUnlessRemoved(target.namespace, out);
};
