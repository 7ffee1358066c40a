import type { Command } from '../inputs.js';
import type { CommandFn } from './types.js';
import { apply } from './apply.js';
import { cleanup } from './cleanup.js';
import { down } from './down.js';
import { list } from './list.js';
import { restart } from './restart.js';
import { rollback } from './rollback.js';
import { runJobCommand } from './run-job.js';
import { scale } from './scale.js';
import { status } from './status.js';
import { up } from './up.js';

export const COMMAND_HANDLERS: Record<Command, CommandFn> = {
  up,
  down,
  cleanup,
  list,
  status,
  apply,
  scale,
  restart,
  rollback,
  'run-job': runJobCommand,
};
