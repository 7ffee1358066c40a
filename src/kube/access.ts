import type { CommandDeps } from '../commands/types.js';

export interface AccessCheck {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly subresource?: string;
}

/**
 * Fails before any change when the credentials lack a permission the command needs.
 * Placeholder until the least-privilege work lands: nothing is checked yet.
 */
export async function requirePermissions(_deps: CommandDeps, _checks: readonly AccessCheck[]): Promise<void> {
  return;
}
