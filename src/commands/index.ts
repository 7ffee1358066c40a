import { ActionError } from '../errors.js';
import type { Command } from '../inputs.js';
import type { CommandFn } from './types.js';
import { down } from './down.js';
import { list } from './list.js';
import { runJobCommand } from './run-job.js';
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
  status: notYet('status'),
  apply: notYet('apply'),
  scale: notYet('scale'),
  restart: notYet('restart'),
  rollback: notYet('rollback'),
  'run-job': runJobCommand,
};
