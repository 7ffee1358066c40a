/**
 * Fault 2: the log stream cut by the server mid-way — mid-line, as a dropped connection or an API
 * server going away does — through a proxy in front of the API server
 * (helpers/api-proxy.ts). The action resumes with sinceTime (whole seconds) and drops what it has
 * already printed: no line lost, none repeated, none out of order. (test/e2e/run-job.test.ts case
 * (j) does the same with `ss -K` on the real connections.)
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiProxy } from './helpers/api-proxy.js';
import { LineLedger, bigLog } from './helpers/big-log.js';
import { baseInputs, cleanupNamespaces, cluster, compareLines, criLines, errorLines, jobManifest, newNamespace, numbered, runAction, sleep } from './helpers/faults.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-faults-cut-'));
let proxy: ApiProxy;
beforeEach(async () => {
  proxy = await new ApiProxy({ upstream: cluster.apiServer, adminKubeconfig: cluster.adminKubeconfigPath }).start();
});
afterEach(async () => proxy.stop());
afterAll(cleanupNamespaces);

const LOG_PATH = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/log$/;

/** A namespace whose pods log `content`: registered empty, then filled (the harness probe reads the whole file). */
async function namespaceWithLog(prefix: string, content: string): Promise<{ ns: string; file: string }> {
  const ns = await newNamespace(prefix);
  const file = join(dir, `${ns}.log`);
  writeFileSync(file, '');
  await cluster.registerPodLogs(ns, file);
  writeFileSync(file, content);
  return { ns, file };
}

function runJob(ns: string, duration: string, onLine?: (line: string, atMs: number) => void) {
  const manifest = join(dir, `${ns}-job.yaml`);
  writeFileSync(manifest, jobManifest('cut', duration));
  return runAction({
    inputs: baseInputs({ command: 'run-job', namespace: ns, job: manifest, kubeconfig: proxy.kubeconfig(), 'job-timeout': '5m' }),
    eventName: 'workflow_dispatch',
    ...(onLine ? { onLine } : {}),
  });
}

const logRequests = () => proxy.requests.filter((r) => LOG_PATH.test(r.path));
/** The log requests, for failure messages. */
const describeLogRequests = (): string => logRequests().map((r) => `${r.atMs}ms ${r.query.toString()} -> ${r.status} ${r.bytes}B${r.cut ? ' CUT' : ''}`).join('\n');

describe('the log stream cut by the server', () => {
  it('200 000 lines, the follow cut mid-line 6 times: every line exactly once, in order', async () => {
    const n = 200_000;
    const { ns } = await namespaceWithLog('cut-big', bigLog(n));
    // Each (re)opened follow is cut after 2.5 MB (the file is 17.8 MB): the action has to resume
    // six times, each time replaying up to a second of lines that it must drop.
    const cuts = proxy.cutAfter({ method: 'GET', path: LOG_PATH, query: /follow=true/, afterBytes: 2_500_000, times: 6 });
    const ledger = new LineLedger(n);
    const run = await runJob(ns, '60s', (line, at) => void ledger.add(line, at));
    expect(cuts.hits(), describeLogRequests()).toBe(6);
    expect(run.exitCode, run.stdout.slice(-2000)).toBe(0);
    expect(errorLines(run)).toEqual([]);
    expect({ lost: ledger.lost, repeated: ledger.duplicated, outOfOrder: ledger.outOfOrder }).toEqual({ lost: 0, repeated: 0, outOfOrder: 0 });
    // Resumed with sinceTime, not from the beginning.
    const resumed = logRequests().slice(1);
    expect(resumed.length).toBeGreaterThanOrEqual(6);
    for (const r of resumed) expect(r.query.get('sinceTime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Every line arrived while the Job ran (it runs 60 s), not only from the final read.
    expect(ledger.lastAt).toBeLessThan(run.durationMs - 20_000);
  });

  it('5 000 lines with one timestamp, cut 3 times: each resume replays them all and the printed ones are dropped', async () => {
    const lines = numbered('same-second', 5000);
    const { ns } = await namespaceWithLog('cut-same', criLines(lines, new Date('2026-02-02T10:00:00.123456789Z')));
    const cuts = proxy.cutAfter({ method: 'GET', path: LOG_PATH, query: /follow=true/, afterBytes: 60_000, times: 3 });
    const run = await runJob(ns, '8s');
    expect(cuts.hits(), describeLogRequests()).toBe(3);
    expect(run.exitCode, run.stdout.slice(-2000)).toBe(0);
    expect(compareLines(run.lines, lines)).toEqual({ lost: [], repeated: [], inOrder: true });
  });

  it('every stream (log follow and watches) cut at random moments while lines are written: exactly once, the run ends correctly', async () => {
    const first = numbered('live first', 10);
    const { ns, file } = await namespaceWithLog('cut-live', criLines(first));
    const expected = [...first];
    let writing: Promise<void> | undefined;
    let cutCount = 0;
    const writer = async (): Promise<void> => {
      for (let b = 1; b <= 40; b++) {
        const batch = numbered(`live batch ${b} line`, 25);
        appendFileSync(file, criLines(batch));
        expected.push(...batch);
        await sleep(150 + Math.floor(Math.random() * 200));
        if (b % 8 === 0) cutCount += proxy.cutOpen();
      }
    };
    const run = await runJob(ns, '25s', (line) => {
      if (line === 'live first 10' && !writing) writing = writer();
    });
    await writing;
    expect(cutCount).toBeGreaterThanOrEqual(5); // at least the log follow and the watches, each time
    expect(run.exitCode, run.stdout.slice(-2000)).toBe(0);
    expect(run.outputs['test-result']).toBe('passed');
    const got = run.lines.filter((l) => l.startsWith('live '));
    expect(compareLines(got, expected)).toEqual({ lost: [], repeated: [], inOrder: true });
    expect(run.stderr).not.toMatch(/Uncaught|TypeError|unhandled/i);
  });
});
