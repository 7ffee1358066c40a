import type { RunContext } from '../context.js';
import type { Inputs } from '../inputs.js';
import type { Log } from '../log.js';
import type { Result } from '../report.js';
import type { GitHub } from './client.js';

export interface FeedbackDeps {
  readonly inputs: Inputs;
  readonly ctx: RunContext;
  readonly github: GitHub | undefined;
  readonly log: Log;
}

/** Before the command runs (e.g. a GitHub Deployment in_progress). Never throws. Placeholder. */
export async function feedbackStart(_deps: FeedbackDeps): Promise<void> {
  return;
}

/** After the command (PR comment, Deployment status). Never throws. Placeholder. */
export async function feedbackEnd(_deps: FeedbackDeps, _result: Result): Promise<void> {
  return;
}
