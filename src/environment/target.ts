import type { RunContext } from '../context.js';
import { InputError } from '../errors.js';
import type { Inputs } from '../inputs.js';
import { environmentNamespace, repoLabelValue } from './naming.js';
import type { Owner } from './ownership.js';

export interface Target {
  readonly namespace: string;
  /** ephemeral: the PR's own namespace, created and deleted by the action. long-lived: given, never deleted. */
  readonly mode: 'ephemeral' | 'long-lived';
  readonly prNumber: number | undefined;
  readonly owner: Owner;
}

export function ownerOf(ctx: RunContext): Owner {
  return { repository: `${ctx.owner}/${ctx.repo}`, repoLabel: repoLabelValue(ctx.owner, ctx.repo) };
}

export function prNumberOf(inputs: Inputs, ctx: RunContext): number | undefined {
  return inputs.prNumber ?? ctx.eventPrNumber;
}

/** Pure: the namespace a command works in. */
export function resolveTarget(inputs: Inputs, ctx: RunContext): Target {
  const owner = ownerOf(ctx);
  const prNumber = prNumberOf(inputs, ctx);
  if (inputs.namespace) return { namespace: inputs.namespace, mode: 'long-lived', prNumber, owner };
  if (prNumber === undefined) {
    throw new InputError(
      `pr-number: required when the event is '${ctx.eventName || 'unknown'}' (not a pull_request) and no namespace is given; set pr-number, or namespace for a long-lived target`,
    );
  }
  if (!ctx.owner || !ctx.repo) throw new InputError('GITHUB_REPOSITORY is not set; the namespace name is derived from it');
  return { namespace: environmentNamespace(inputs.namespacePrefix, prNumber, ctx.owner, ctx.repo), mode: 'ephemeral', prNumber, owner };
}
