import { lockEnvironment } from '../environment/lock.js';
import { describeTeardown, failUnlessRemoved, teardownNamespace, type TeardownOutcome } from '../environment/teardown.js';
import { resolveTarget } from '../environment/target.js';
import { requirePermissions } from '../kube/access.js';
import { permissionsFor } from '../kube/permissions.js';
import type { CommandFn } from './types.js';

/** `command: down` (pull_request: closed): deletes the PR's environment, only when it is ours. */
export const down: CommandFn = async (deps) => {
  const { inputs, ctx, kube, log, report, signal, clock } = deps;
  const target = resolveTarget(inputs, ctx);
  report.namespace = target.namespace;
  report.output('namespace', target.namespace);
  await requirePermissions(deps, permissionsFor('down', target.namespace));
  const teardown = (s: AbortSignal): Promise<TeardownOutcome> =>
    report.phase(log, `Delete ${target.namespace}`, () =>
      teardownNamespace(kube, target.namespace, target.owner, { timeoutMs: inputs.timeoutMs, signal: s, dryRun: inputs.dryRun, log, now: () => clock.now() }),
    );
  // down always wins: a running up of this PR is asked to stop before the namespace goes.
  const out = inputs.dryRun ? await teardown(signal) : await (await lockEnvironment(deps, target, 'down')).run(teardown);
  log.info(describeTeardown(target.namespace, out));
  report.set('teardown', out.state);
  if (out.state === 'deleted' || out.state === 'would-delete') report.resource({ kind: 'Namespace', name: target.namespace, action: out.state === 'deleted' ? 'deleted' : 'would-delete' });
  failUnlessRemoved(target.namespace, out);
};
