import type { Clock } from '../clock.js';
import type { RunContext } from '../context.js';
import type { Inputs } from '../inputs.js';
import type { Kube } from '../kube/http.js';
import type { Log } from '../log.js';
import type { Report } from '../report.js';
import type { StateWriter } from '../state.js';
import type { GitHub } from '../github/client.js';

/** Everything a command may use; passed in, never imported by deep helpers. */
export interface CommandDeps {
  readonly inputs: Inputs;
  readonly ctx: RunContext;
  readonly kube: Kube;
  readonly log: Log;
  readonly clock: Clock;
  readonly state: StateWriter;
  readonly report: Report;
  /** Aborted when the run is cancelled (SIGINT/SIGTERM from the runner). */
  readonly signal: AbortSignal;
  /** GitHub REST client, when a token is available. */
  readonly github: GitHub | undefined;
}

/** A command fills the report; it throws (ActionError) to fail the step. */
export type CommandFn = (deps: CommandDeps) => Promise<void>;
