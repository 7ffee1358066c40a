import type { CommandDeps } from '../commands/types.js';
import type { Target } from './target.js';

export type Release = () => Promise<void>;

/**
 * Serialises runs for one PR environment (a Lease in the namespace). Returns the release.
 * Placeholder until the concurrency work lands: no lock is taken yet.
 */
export async function lockEnvironment(_deps: CommandDeps, _target: Target, _intent: 'up' | 'down'): Promise<Release> {
  return async () => undefined;
}
