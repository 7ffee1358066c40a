/**
 * One way to run every contender (the action, kubectl scripts, helm): a child process whose stdout
 * is split into lines as it arrives, each line timed from the spawn. The same consumer reads them
 * all, so none is favoured by the harness.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** KE_BENCH_VERBOSE=1 echoes every line of every contender (debugging a case). */
const VERBOSE = process.env.KE_BENCH_VERBOSE === '1';

export interface TimedRun {
  readonly code: number | null;
  readonly signal: string | null;
  /** Spawn to exit, ms. */
  readonly durationMs: number;
  /** Lines kept (only with keepLines). */
  readonly lines: readonly string[];
  readonly stderr: string;
  /** ms from the spawn to the first line matching each mark. */
  readonly marks: Readonly<Record<string, number>>;
  /** CPU time (user + system) of the process and the children it waited for, ms (with `cpu`). */
  readonly cpuMs: number;
}

export interface TimedOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Named patterns; the time of the first stdout line matching each is recorded. */
  readonly marks?: Readonly<Record<string, RegExp>>;
  readonly onLine?: (line: string, atMs: number) => void;
  /** SIGTERM (then SIGKILL after 2 s) when this first returns true. */
  readonly killWhen?: (line: string) => boolean;
  readonly keepLines?: boolean;
  readonly timeoutMs?: number;
  /** Measure the CPU time with /usr/bin/time (GNU time). */
  readonly cpu?: boolean;
  /** Kills the process group (SIGKILL) when aborted. */
  readonly abort?: AbortSignal;
}

export function runTimed(cmd: string, args: readonly string[], o: TimedOptions = {}): Promise<TimedRun> {
  const t0 = performance.now();
  // Its own process group: whatever a script leaves running (a backgrounded `kubectl logs -f`)
  // is ended with it instead of holding the output pipe open forever.
  const cpuFile = o.cpu ? join(mkdtempSync(join(tmpdir(), 'ke-cpu-')), 'cpu') : undefined;
  const [file, argv] = cpuFile ? ['/usr/bin/time', ['-q', '-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, [...args]];
  const child = spawn(file, argv, { env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const marks: Record<string, number> = {};
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  let killed = false;
  const kill = (): void => {
    if (killed) return;
    killed = true;
    // With /usr/bin/time in front: SIGINT to the group (time ignores it, the command stops, time reports).
    if (cpuFile && child.pid) process.kill(-child.pid, 'SIGINT');
    else child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  };
  const line = (l: string): void => {
    const at = performance.now() - t0;
    if (o.marks) for (const [name, re] of Object.entries(o.marks)) if (marks[name] === undefined && re.test(l)) marks[name] = at;
    if (o.keepLines) lines.push(l);
    if (VERBOSE) process.stdout.write(`    | ${Math.round(at)} ${l.slice(0, 200)}\n`);
    o.onLine?.(l, at);
    if (o.killWhen?.(l)) kill();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    partial += d;
    let start = 0;
    let i: number;
    while ((i = partial.indexOf('\n', start)) >= 0) {
      line(partial.slice(start, i));
      start = i + 1;
    }
    partial = partial.slice(start);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 200_000) stderr += d;
  });
  const timer = setTimeout(kill, o.timeoutMs ?? 900_000);
  o.abort?.addEventListener('abort', () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => {
      setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }, 1000).unref();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial) line(partial);
      let cpuMs = Number.NaN;
      if (cpuFile) {
        const [u, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
        cpuMs = ((u ?? Number.NaN) + (sys ?? Number.NaN)) * 1000;
      }
      resolve({ code, signal, durationMs: performance.now() - t0, lines, stderr, marks, cpuMs });
    });
  });
}
