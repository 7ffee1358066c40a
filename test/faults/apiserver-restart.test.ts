/**
 * Fault 1: kube-apiserver restarted (`cluster.sh restart kube-apiserver`: stopped, started with
 * the same flags, ~10 s without an API server) while the action waits for a rollout, and while it
 * streams a Job's log. The action reconnects (informers re-list/re-watch, the log follower resumes
 * from its last timestamp), loses and repeats no log line, and finishes correctly.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SLOW_READY_IMAGE } from './helpers/stages.js';
import {
  baseInputs,
  cleanupNamespaces,
  cluster,
  compareLines,
  criLines,
  errorLines,
  freshPr,
  jobManifest,
  namespaceGone,
  newNamespace,
  nextRunId,
  numbered,
  pullRequestEvent,
  runAction,
  sleep,
} from './helpers/faults.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-faults-restart-'));
afterAll(cleanupNamespaces);

/** Restarts the API server; resolves with when it went down and when it was back (ms since t0). */
async function restartApiServer(t0: number): Promise<{ startedAt: number; backAt: number }> {
  const startedAt = Date.now() - t0;
  const r = await cluster.script(['restart', 'kube-apiserver']);
  if (r.code !== 0) throw new Error(`restart failed: ${r.stderr || r.stdout}`);
  return { startedAt, backAt: Date.now() - t0 };
}

describe('kube-apiserver restarted', () => {
  it('while up waits for a rollout: reconnects, the app becomes ready, the test Job runs, post deletes the namespace', async () => {
    const { number, ns } = freshPr();
    const file = join(dir, `${ns}.log`);
    const testOutput = numbered('test output', 20);
    writeFileSync(file, criLines(testOutput));
    await cluster.registerPodLogs(ns, file);
    const runId = nextRunId();
    const o = {
      inputs: baseInputs({ 'app-image': SLOW_READY_IMAGE, database: 'postgresql', 'test-image': 'local/test:pass', 'test-command': 'npm test', timeout: '3m' }),
      event: pullRequestEvent({ number }),
      runId,
    };
    const t0 = Date.now();
    let restart: Promise<{ startedAt: number; backAt: number }> | undefined;
    let readyAt = Number.NaN;
    const main = await runAction({
      ...o,
      onLine: (line) => {
        if (line === '::group::Wait for readiness' && !restart) restart = restartApiServer(t0);
        if (line.startsWith('  ready: ')) readyAt = Date.now() - t0;
      },
    });
    const r = await restart;
    expect(r, 'the restart was triggered').toBeDefined();
    expect(main.exitCode, main.stdout).toBe(0);
    // The wait spanned the outage: readiness came after the API server was back.
    expect(readyAt).toBeGreaterThan(r?.backAt ?? Infinity);
    expect(main.outputs['test-result']).toBe('passed');
    const cmp = compareLines(main.lines, testOutput);
    expect(cmp).toEqual({ lost: [], repeated: [], inOrder: true });
    expect(main.stderr).not.toMatch(/Uncaught|TypeError|unhandled/i);

    const post = await runAction({ ...o, state: main.state });
    expect(post.exitCode, post.stdout).toBe(0);
    expect(await namespaceGone(ns)).toBe(true);
  });

  it('while a Job log streams: resumed from the last line, every line exactly once and in order', async () => {
    const ns = await newNamespace('restart-logs');
    const file = join(dir, `${ns}.log`);
    const first = numbered('first', 50);
    writeFileSync(file, criLines(first));
    await cluster.registerPodLogs(ns, file);
    const manifest = join(dir, `${ns}-job.yaml`);
    writeFileSync(manifest, jobManifest('through-restart', '40s'));
    const expected = [...first];
    let writing: Promise<void> | undefined;
    let restart: Promise<{ startedAt: number; backAt: number }> | undefined;
    let lastBatchAt = Number.NaN;
    let passedAt = Number.NaN;
    const t0 = Date.now();
    // 20 lines every 250 ms for 20 s: before, during and after the outage.
    const writer = async (): Promise<void> => {
      for (let b = 1; b <= 80; b++) {
        const batch = numbered(`batch ${b} line`, 20);
        appendFileSync(file, criLines(batch));
        expected.push(...batch);
        if (b === 8) restart = restartApiServer(t0);
        await sleep(250);
      }
    };
    const run = await runAction({
      inputs: baseInputs({ command: 'run-job', namespace: ns, job: manifest, 'job-timeout': '4m' }),
      eventName: 'workflow_dispatch',
      onLine: (line, atMs) => {
        if (line === 'first 50' && !writing) writing = writer();
        if (line === 'batch 80 line 20') lastBatchAt = atMs;
        if (/^job \S+ passed/.test(line)) passedAt = atMs;
      },
    });
    await writing;
    const r = await restart;
    expect(r, 'the restart was triggered').toBeDefined();
    expect(run.exitCode, run.stdout.slice(-3000)).toBe(0);
    expect(errorLines(run)).toEqual([]);
    const got = run.lines.filter((l) => /^(first|batch) /.test(l));
    const cmp = compareLines(got, expected);
    expect(cmp.lost, 'lost lines').toEqual([]);
    expect(cmp.repeated, 'repeated lines').toEqual([]);
    expect(cmp.inOrder).toBe(true);
    expect(run.outputs['test-result']).toBe('passed');
    // Streamed live after the outage, not only read back at the end: the last batch (written
    // ~10 s after the API server was back) arrived long before the Job ended.
    expect(passedAt - lastBatchAt).toBeGreaterThan(5000);
  });
});
