import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
/** The bundle under test: dist/index.js, or KE_BUNDLE (a bundle built elsewhere, e.g. by a parallel work tree). */
export const BUNDLE = process.env.KE_BUNDLE ?? join(REPO_ROOT, 'dist/index.js');

export interface PullRequestEventOptions {
  readonly number: number;
  readonly sha?: string;
  readonly state?: 'open' | 'closed';
  readonly action?: string;
  readonly owner?: string;
  readonly repo?: string;
}

/** The event file the runner writes for a pull_request event. */
export function pullRequestEvent(o: PullRequestEventOptions): Record<string, unknown> {
  const owner = o.owner ?? 'acme';
  const repo = o.repo ?? 'shop';
  return {
    action: o.action ?? 'synchronize',
    number: o.number,
    pull_request: {
      number: o.number,
      state: o.state ?? 'open',
      merged: false,
      head: { sha: o.sha ?? 'a'.repeat(40), ref: `feature-${o.number}` },
      base: { ref: 'main' },
    },
    repository: { name: repo, full_name: `${owner}/${repo}`, owner: { login: owner } },
  };
}

export interface RunOptions {
  /** Input names as in action.yml (kebab-case); become INPUT_<NAME>. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly eventName?: string;
  readonly event?: Record<string, unknown>;
  readonly repository?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
  readonly apiUrl?: string;
  /** STATE_* for the post step (from the main run's saved state). */
  readonly state?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each stdout line as it arrives (live streaming checks). */
  readonly onLine?: (line: string, atMs: number) => void;
  /** Kill the process (SIGTERM then SIGKILL) after this many ms, or when the predicate first holds. */
  readonly killAfterMs?: number;
  readonly killWhen?: (line: string) => boolean;
  readonly timeoutMs?: number;
}

export interface ActionRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly string[];
  readonly outputs: Readonly<Record<string, string>>;
  /** What the step saved with saveState (the post step receives it as STATE_*). */
  readonly state: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly durationMs: number;
  /** The parsed `result` output, when there is one. */
  readonly result: ResultJson | undefined;
}

export interface ResultJson {
  command: string;
  status: string;
  namespace?: string;
  resources: { kind: string; name: string; action: string; namespace?: string }[];
  durationMs: number;
  phases: { name: string; durationMs: number; ok: boolean }[];
  serverVersion?: string;
  cause?: string;
  [k: string]: unknown;
}

/** Parses the runner's file-command format (`name<<delim` ... `delim`, or `name=value`). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i] ?? '');
      out[name] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

let lastRunId = Date.now() - 1_700_000_000_000;
/** Run ids increase from run to run, as GitHub's do (later runs win the PR comment and the lease). */
export function nextRunId(): string {
  lastRunId += 1 + Math.floor(Math.random() * 10);
  return String(lastRunId);
}

/** Runs the bundled action as the GitHub runner does: `node dist/index.js` with INPUT_*, GITHUB_* and file commands. */
export async function runAction(o: RunOptions): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ke-run-'));
  const files = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary'), event: join(dir, 'event.json'), env: join(dir, 'env'), path: join(dir, 'path') };
  for (const f of [files.output, files.state, files.summary, files.env, files.path]) writeFileSync(f, '');
  writeFileSync(files.event, JSON.stringify(o.event ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: o.repository ?? 'acme/shop',
    GITHUB_EVENT_NAME: o.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_RUN_ID: o.runId ?? nextRunId(),
    GITHUB_RUN_ATTEMPT: o.runAttempt ?? '1',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_API_URL: o.apiUrl ?? 'http://127.0.0.1:9', // nothing listens: a test that needs GitHub passes the fake's URL
    GITHUB_ACTOR: 'octocat',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    // A bundle outside the repository cannot find templates/ by walking up from itself.
    ...(process.env.KE_BUNDLE ? { KUBE_EPHEMERAL_TEMPLATES: join(REPO_ROOT, 'templates') } : {}),
    ...o.env,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  for (const [k, v] of Object.entries(o.state ?? {})) env[`STATE_${k}`] = v;

  const started = Date.now();
  const child = spawn(process.execPath, [BUNDLE], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const lines: string[] = [];
  let killed = false;
  const kill = (): void => {
    if (killed) return;
    killed = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2500).unref();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    stdout += d;
    partial += d;
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      lines.push(line);
      o.onLine?.(line, Date.now() - started);
      if (o.killWhen?.(line)) kill();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const timers: NodeJS.Timeout[] = [];
  if (o.killAfterMs !== undefined) timers.push(setTimeout(kill, o.killAfterMs));
  timers.push(setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 600_000));
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((res) => child.on('close', (c, s) => res([c, s])));
  timers.forEach(clearTimeout);
  if (partial) lines.push(partial);
  const outputs = parseFileCommands(readFileSync(files.output, 'utf8'));
  let result: ResultJson | undefined;
  try {
    result = outputs.result ? (JSON.parse(outputs.result) as ResultJson) : undefined;
  } catch {
    result = undefined;
  }
  return {
    exitCode,
    signal,
    stdout,
    stderr,
    lines,
    outputs,
    state: parseFileCommands(readFileSync(files.state, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    durationMs: Date.now() - started,
    result,
  };
}

/** Runs main, then post with main's saved state and the same inputs, as the runner does at the end of the job. */
export async function runMainAndPost(o: RunOptions, post: Partial<RunOptions> = {}): Promise<{ main: ActionRun; post: ActionRun }> {
  // Main and post are steps of one job: the same run id and attempt.
  o = { ...o, runId: o.runId ?? nextRunId() };
  const main = await runAction(o);
  const postRun = await runAction({ ...o, killAfterMs: undefined, killWhen: undefined, onLine: undefined, ...post, state: main.state });
  return { main, post: postRun };
}
