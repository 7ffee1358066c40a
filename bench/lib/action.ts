/**
 * The action as the GitHub runner runs it — `node <bundle>` with INPUT_*, GITHUB_* and the file
 * commands (as test/e2e/helpers/run-action.ts does) — through the same timed runner as kubectl
 * and helm.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, parseFileCommands, pullRequestEvent } from '../../test/e2e/helpers/run-action.ts';
import { runTimed, type TimedOptions, type TimedRun } from './proc.ts';

export { pullRequestEvent };

export const DEFAULT_BUNDLE = join(REPO_ROOT, 'dist/index.js');

export interface ActionOptions extends TimedOptions {
  readonly bundle: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly event?: Record<string, unknown>;
  readonly eventName?: string;
  /** owner/repo (default acme/shop). */
  readonly repository?: string;
  /** The same run id for main and post (post leaves an environment to a newer run otherwise). */
  readonly runId: string;
  readonly state?: Readonly<Record<string, string>>;
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface ActionTimedRun extends TimedRun {
  readonly outputs: Readonly<Record<string, string>>;
  readonly state: Readonly<Record<string, string>>;
  readonly result: { status?: string; cause?: string; phases?: { name: string; durationMs: number }[] } | undefined;
}

export async function runActionTimed(o: ActionOptions): Promise<ActionTimedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ke-bench-run-'));
  const f = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary'), event: join(dir, 'event.json'), env: join(dir, 'env'), path: join(dir, 'path') };
  for (const p of [f.output, f.state, f.summary, f.env, f.path]) writeFileSync(p, '');
  writeFileSync(f.event, JSON.stringify(o.event ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: o.repository ?? 'acme/shop',
    GITHUB_EVENT_NAME: o.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: f.event,
    GITHUB_SHA: 'f'.repeat(40),
    GITHUB_RUN_ID: o.runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_ACTOR: 'octocat',
    GITHUB_OUTPUT: f.output,
    GITHUB_STATE: f.state,
    GITHUB_STEP_SUMMARY: f.summary,
    GITHUB_ENV: f.env,
    GITHUB_PATH: f.path,
    KUBE_EPHEMERAL_TEMPLATES: join(REPO_ROOT, 'templates'),
    ...o.extraEnv,
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  for (const [k, v] of Object.entries(o.state ?? {})) env[`STATE_${k}`] = v;
  const run = await runTimed(process.execPath, [o.bundle], { ...o, env, cwd: REPO_ROOT });
  const outputs = parseFileCommands(readFileSync(f.output, 'utf8'));
  let result: ActionTimedRun['result'];
  try {
    result = outputs.result ? (JSON.parse(outputs.result) as ActionTimedRun['result']) : undefined;
  } catch {
    result = undefined;
  }
  return { ...run, outputs, state: parseFileCommands(readFileSync(f.state, 'utf8')), result };
}

/** Run ids increase from run to run, as GitHub's do (a later run wins the environment lock). */
let lastRunId = Math.floor((Date.now() - 1_700_000_000_000) / 10);
export function newRunId(): string {
  lastRunId = Math.max(lastRunId + 1, Math.floor((Date.now() - 1_700_000_000_000) / 10));
  return String(lastRunId);
}
