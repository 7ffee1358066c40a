import { ActionError } from '../errors.js';
import type { Command } from '../inputs.js';
import type { CommandFn } from './types.js';
import { apply } from './apply.js';
import { down } from './down.js';
import { list } from './list.js';
import { restart } from './restart.js';
import { rollback } from './rollback.js';
import { runJobCommand } from './run-job.js';
import { scale } from './scale.js';
import { status } from './status.js';
import { up } from './up.js';

const notYet =
  (name: string): CommandFn =>
  async () => {
    throw new ActionError(`command: '${name}' is not available in this version of kube-ephemeral yet`);
  };

export const COMMAND_HANDLERS: Record<Command, CommandFn> = {
  up,
  down,
  cleanup: notYet('cleanup'),
  list,
  status,
  apply,
  scale,
  restart,
  rollback,
  'run-job': runJobCommand,
};
