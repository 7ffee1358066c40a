import { ActionError } from '../errors.js';
import type { Log } from '../log.js';
import type { Kube } from '../kube/http.js';
import { deleteNamespace, readNamespace } from '../kube/namespace.js';
import { ownershipProblem, type Owner } from './ownership.js';

export type TeardownOutcome =
  | { readonly state: 'deleted' | 'absent' | 'would-delete'; readonly durationMs: number }
  | { readonly state: 'not-owned'; readonly reason: string }
  | { readonly state: 'stuck'; readonly blockers: readonly string[] };

/**
 * Deletes an environment's namespace and waits until it is gone — only when it carries our
 * managed-by label and this repository's label. Anything else is reported and left alone.
 */
export async function teardownNamespace(
  kube: Kube,
  namespace: string,
  owner: Owner,
  o: { timeoutMs: number; signal: AbortSignal; dryRun: boolean; log: Log; now: () => number },
): Promise<TeardownOutcome> {
  const started = o.now();
  const ns = await readNamespace(kube, namespace, o.signal);
  if (!ns) return { state: 'absent', durationMs: 0 };
  const problem = ownershipProblem(ns.metadata, owner);
  if (problem) return { state: 'not-owned', reason: problem };
  if (o.dryRun) return { state: 'would-delete', durationMs: 0 };
  o.log.info(`  deleting namespace ${namespace} and waiting until it is gone`);
  const out = await deleteNamespace(kube, namespace, { timeoutMs: o.timeoutMs, signal: o.signal });
  if (out.state === 'stuck') return { state: 'stuck', blockers: out.blockers };
  return { state: out.state, durationMs: o.now() - started };
}

/** One line for each outcome; throws for the ones that must fail a `down`. */
export function describeTeardown(namespace: string, out: TeardownOutcome): string {
  switch (out.state) {
    case 'deleted':
      return `namespace ${namespace} deleted (gone after ${(out.durationMs / 1000).toFixed(1)} s)`;
    case 'absent':
      return `namespace ${namespace} does not exist; nothing to delete`;
    case 'would-delete':
      return `dry run: namespace ${namespace} would be deleted`;
    case 'not-owned':
      return `namespace ${namespace} was left alone: ${out.reason}`;
    case 'stuck':
      return `namespace ${namespace} is stuck in Terminating: ${out.blockers.join('; ')}`;
  }
}

export function failUnlessRemoved(namespace: string, out: TeardownOutcome): void {
  if (out.state === 'not-owned' || out.state === 'stuck') throw new ActionError(describeTeardown(namespace, out));
}
