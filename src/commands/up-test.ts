import { ActionError } from '../errors.js';
import type { PreparedUp } from './up-prepare.js';
import type { CommandDeps } from './types.js';

/** The test Job of `up` (wired to the Job runner once it lands). */
export async function runTestJob(_deps: CommandDeps, p: PreparedUp): Promise<void> {
  throw new ActionError(`the test Job ${p.plan.testJob?.metadata?.name ?? ''} cannot run yet`);
}
