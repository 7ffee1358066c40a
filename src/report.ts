import type { Clock } from './clock.js';
import type { Log } from './log.js';

export type Status = 'success' | 'failure' | 'cancelled';

export interface ResourceRecord {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** created, configured, unchanged, deleted, kept, rolled-back, scaled, restarted, would-create, ... */
  readonly action: string;
}

export interface PhaseRecord {
  readonly name: string;
  readonly durationMs: number;
  readonly ok: boolean;
}

/** The `result` output: one JSON object for every command. */
export interface Result {
  readonly command: string;
  readonly status: Status;
  readonly namespace: string | undefined;
  readonly resources: readonly ResourceRecord[];
  readonly durationMs: number;
  readonly phases: readonly PhaseRecord[];
  readonly serverVersion: string | undefined;
  readonly dryRun: boolean;
  readonly cause?: string;
  readonly [extra: string]: unknown;
}

/** Collects what a command did, for the `result` output, the other outputs and the job summary. */
export class Report {
  namespace: string | undefined;
  serverVersion: string | undefined;
  readonly resources: ResourceRecord[] = [];
  readonly phases: PhaseRecord[] = [];
  readonly outputs: Record<string, string> = {};
  readonly extra: Record<string, unknown> = {};
  private readonly started: number;

  constructor(
    readonly command: string,
    private readonly clock: Clock,
    readonly dryRun = false,
  ) {
    this.started = clock.now();
  }

  /** Runs one phase in a log group and records its duration, whether it succeeds or throws. */
  async phase<T>(log: Log, name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = this.clock.now();
    let ok = false;
    try {
      const out = await log.group(name, fn);
      ok = true;
      return out;
    } finally {
      this.phases.push({ name, durationMs: this.clock.now() - t0, ok });
    }
  }

  resource(r: ResourceRecord): void {
    this.resources.push(r);
  }

  output(name: string, value: string): void {
    this.outputs[name] = value;
  }

  set(key: string, value: unknown): void {
    this.extra[key] = value;
  }

  toResult(status: Status, cause?: string): Result {
    // Rendered HTML for the job summary is not part of the machine-readable record.
    const { summarySections: _html, ...extra } = this.extra;
    return {
      command: this.command,
      status,
      namespace: this.namespace,
      resources: this.resources,
      durationMs: this.clock.now() - this.started,
      phases: this.phases,
      serverVersion: this.serverVersion,
      dryRun: this.dryRun,
      ...(cause ? { cause } : {}),
      ...extra,
    };
  }
}
