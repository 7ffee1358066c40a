import { runnerLog, type Log } from './log.js';
import { readState, runnerState, type StateStore } from './state.js';
import { errorMessage } from './errors.js';
import { POST_HANDLERS } from './commands/post-handlers.js';
import { systemClock, type Clock } from './clock.js';

export interface PostDeps {
  readonly log: Log;
  readonly clock: Clock;
  readonly store: StateStore;
}

/** The post step: acts on the state main saved; never fails the job, only warns. */
export async function runPost(deps: PostDeps = { log: runnerLog, clock: systemClock, store: runnerState }): Promise<void> {
  const { log } = deps;
  const saved = readState(deps.store);
  if (!saved) {
    log.info('kube-ephemeral post: main saved no state, nothing to clean up.');
    return;
  }
  const handler = POST_HANDLERS[saved.command];
  if (!handler) {
    log.info(`kube-ephemeral post: nothing to do after '${saved.command}'.`);
    return;
  }
  try {
    await handler(saved, deps);
  } catch (err) {
    log.warning(`kube-ephemeral post could not finish for namespace ${saved.namespace}: ${errorMessage(err)}`, {
      title: 'kube-ephemeral post step',
    });
  }
}
