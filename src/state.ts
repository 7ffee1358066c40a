import * as core from '@actions/core';

/** What main hands to post, saved before the first change in the cluster. */
export interface SavedState {
  readonly command: string;
  /** The namespace main worked in. */
  readonly namespace: string;
  /** `ephemeral`: created for the PR, deleted or kept by post. `long-lived`: never deleted, rolled back on failure. */
  readonly mode: 'ephemeral' | 'long-lived';
  /** Deployments as they were before main changed them: revision, or null when main created it. */
  readonly deployments: Readonly<Record<string, number | null>>;
  /** Set at the very end of main; missing means main failed, crashed or was cancelled. */
  readonly outcome: 'success' | 'failure' | undefined;
  /** The one-line cause of a failure, for post's report. */
  readonly cause: string | undefined;
}

export const StateKey = {
  isPost: 'isPost',
  command: 'command',
  namespace: 'namespace',
  mode: 'mode',
  deployments: 'deployments',
  outcome: 'outcome',
  cause: 'cause',
} as const;

export interface StateStore {
  save(key: string, value: string): void;
  get(key: string): string;
}

export const runnerState: StateStore = {
  save: (k, v) => core.saveState(k, v),
  get: (k) => core.getState(k),
};

/** Typed writes of the saved state; each key is written as soon as it is known. */
export class StateWriter {
  private deployments: Record<string, number | null> = {};
  constructor(private readonly store: StateStore) {}
  begin(command: string, namespace: string, mode: SavedState['mode']): void {
    this.store.save(StateKey.command, command);
    this.store.save(StateKey.namespace, namespace);
    this.store.save(StateKey.mode, mode);
  }
  /** Records a Deployment's revision before main changes it (first record wins). */
  recordDeployment(name: string, revision: number | null): void {
    if (name in this.deployments) return;
    this.deployments[name] = revision;
    this.store.save(StateKey.deployments, JSON.stringify(this.deployments));
  }
  finish(outcome: 'success' | 'failure', cause?: string): void {
    this.store.save(StateKey.outcome, outcome);
    if (cause) this.store.save(StateKey.cause, cause.slice(0, 2000));
  }
}

/** Reads the state saved by main; undefined when main saved none (nothing to do). */
export function readState(store: StateStore): SavedState | undefined {
  const namespace = store.get(StateKey.namespace);
  if (!namespace) return undefined;
  let deployments: Record<string, number | null> = {};
  try {
    const parsed = JSON.parse(store.get(StateKey.deployments) || '{}') as unknown;
    if (parsed && typeof parsed === 'object') deployments = parsed as Record<string, number | null>;
  } catch {
    deployments = {};
  }
  const outcome = store.get(StateKey.outcome);
  return {
    command: store.get(StateKey.command),
    namespace,
    mode: store.get(StateKey.mode) === 'long-lived' ? 'long-lived' : 'ephemeral',
    deployments,
    outcome: outcome === 'success' || outcome === 'failure' ? outcome : undefined,
    cause: store.get(StateKey.cause) || undefined,
  };
}
