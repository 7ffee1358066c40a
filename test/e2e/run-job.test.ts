/**
 * `command: run-job` through the bundled action against the local control plane: the Job's log
 * streams live, exactly once, inside a stop-commands section; failures are one clear line.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { criLog, registerPodLogs, unregisterPodLogs } from './cluster-tools.js';
import { adminKubeconfig, clusterEnv, deleteNamespaces, getJson, kubectl, restrictedKubeconfig, uniqueName } from './helpers/cluster.js';
import { BUNDLE, runAction, type ActionRun } from './helpers/run-action.js';

const dir = mkdtempSync(join(tmpdir(), 'ke-run-job-'));
const namespaces: string[] = [];
const timings: Record<string, number> = {};

afterAll(async () => {
  await Promise.all(namespaces.map((ns) => unregisterPodLogs(ns).catch(() => undefined)));
  await deleteNamespaces(...namespaces);
  console.log(`run-job e2e timings (ms): ${JSON.stringify(timings)}`);
});

/** A throwaway namespace whose pods log `lines` (a CRI log file kwok serves). */
async function namespaceWithLogs(lines: readonly string[], at?: Date): Promise<{ ns: string; file: string }> {
  const ns = uniqueName('rj');
  namespaces.push(ns);
  await kubectl(['create', 'namespace', ns]);
  const file = join(dir, `${ns}.log`);
  writeFileSync(file, criLog(lines, 'stdout', at));
  await registerPodLogs(ns, file);
  return { ns, file };
}

const inputs = (ns: string, extra: Record<string, string> = {}): Record<string, string> => ({
  command: 'run-job',
  kubeconfig: adminKubeconfig(),
  namespace: ns,
  'job-timeout': '2m',
  ...extra,
});

/** The error annotations the runner would act on: `::error` lines outside stop-commands sections. */
function errorLines(run: ActionRun): string[] {
  const inside = (i: number): boolean => sections(run).some((s) => i > s.start && i < s.end);
  return run.lines.filter((l, i) => l.startsWith('::error') && !inside(i));
}

/** The [start, end) line indexes of every stop-commands section, with its token. */
function sections(run: ActionRun): { token: string; start: number; end: number }[] {
  const out: { token: string; start: number; end: number }[] = [];
  run.lines.forEach((l, i) => {
    const m = /^::stop-commands::(.+)$/.exec(l);
    if (!m?.[1]) return;
    const token = m[1];
    const end = run.lines.indexOf(`::${token}::`, i + 1);
    out.push({ token, start: i, end });
  });
  return out;
}

/** A Job manifest whose pod runs `duration` (kwok stage annotation), first container local/test:pass. */
function slowJob(name: string, duration: string, containers: readonly string[]): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    '  namespace: somewhere-else', // replaced by the namespace input
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    '    metadata:',
    '      annotations:',
    `        kube-ephemeral.test/run-duration: "${duration}"`,
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    ...containers.flatMap((c, i) => [`      - name: ${c}`, `        image: ${i === 0 ? 'local/test:pass' : 'local/sidecar:1'}`]),
    '',
  ].join('\n');
}

/** The pid of the action process that runs in namespace `ns` (found by its INPUT_NAMESPACE). */
function actionPid(ns: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(BUNDLE)) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`INPUT_NAMESPACE=${ns}`)) return Number(d);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

const sh = (cmd: string, args: readonly string[]): Promise<string> =>
  new Promise((res, rej) => execFile(cmd, args, (err, stdout, stderr) => (err ? rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout))));

/**
 * Cuts every TCP connection of one process to the API server, as a network drop or an API server
 * restart would (`ss -K`: the kernel destroys the sockets; needs CAP_NET_ADMIN). Returns how many.
 */
async function dropConnections(pid: number): Promise<number> {
  const port = new URL(clusterEnv().API_SERVER ?? 'https://127.0.0.1:16443').port;
  const listing = await sh('ss', ['-tnpH', 'state', 'established', 'dport', `= :${port}`]);
  const local = listing
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => /:(\d+)\s+\S+:\d+\s/.exec(l)?.[1])
    .filter((x): x is string => !!x);
  for (const sport of local) await sh('ss', ['-K', 'dst', '127.0.0.1', 'dport', `= :${port}`, 'sport', `= :${sport}`]);
  return local.length;
}

describe('run-job', () => {
  it('(a) streams a passing Job log: every line once and in order; outputs passed / 0 / job-name', async () => {
    const numbered = Array.from({ length: 50 }, (_, i) => `line ${String(i + 1).padStart(2, '0')} of 50`);
    // One timestamp for all 50 lines: the final read after the container ends replays them all
    // (sinceTime is whole seconds) and must drop every one.
    const { ns } = await namespaceWithLogs(numbered);
    const run = await runAction({ inputs: inputs(ns, { 'test-image': 'local/test:pass' }) });
    timings.a_pass = run.durationMs;
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const got = run.lines.filter((l) => /^line \d\d of 50$/.test(l));
    expect(got).toEqual(numbered);
    expect(run.outputs['test-result']).toBe('passed');
    expect(run.outputs['test-exit-code']).toBe('0');
    expect(run.outputs['job-name']).toMatch(/^test-\d+-1-[a-z0-9]{5}$/);
    expect(run.result).toMatchObject({ command: 'run-job', status: 'success', namespace: ns });
    expect(run.result?.resources).toEqual([{ kind: 'Job', name: run.outputs['job-name'], namespace: ns, action: 'created' }]);
    // The log lines sit in one section.
    const [s] = sections(run);
    expect(s).toBeDefined();
    const first = run.lines.indexOf(numbered[0] ?? '');
    const last = run.lines.indexOf(numbered[49] ?? '');
    expect(first).toBeGreaterThan(s?.start ?? Infinity);
    expect(last).toBeLessThan(s?.end ?? -1);
    // The Job stays (nothing is deleted) and carries our labels.
    const job = await getJson<{ metadata: { labels: Record<string, string> } }>(['get', 'job', run.outputs['job-name'] ?? '', '-n', ns]);
    expect(job.metadata.labels['app.kubernetes.io/managed-by']).toBe('kube-ephemeral');
  });

  it('(b) a failing Job fails the step with one line naming the job and the cause; outputs failed / 1', async () => {
    const { ns } = await namespaceWithLogs(['running the tests', 'FAIL test_checkout', '1 failed, 9 passed']);
    // The restricted kubeconfig (rbac/kube-ephemeral.yaml) is enough to run a Job and read its log.
    const run = await runAction({ inputs: inputs(ns, { 'test-image': 'local/test:fail', kubeconfig: restrictedKubeconfig() }) });
    timings.b_fail = run.durationMs;
    expect(run.exitCode).toBe(1);
    expect(run.outputs['test-result']).toBe('failed');
    expect(run.outputs['test-exit-code']).toBe('1');
    const jobName = run.outputs['job-name'] ?? '';
    expect(jobName).toMatch(/^test-/);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`job ${jobName} failed`);
    expect(errors[0]).toContain('exited with code 1');
    expect(run.lines).toContain('FAIL test_checkout'); // streamed, inside the section
    expect(run.result).toMatchObject({ status: 'failure' });
  });

  it('(c) nothing a pod prints acts as a workflow command; the token is random and never printed by the pod', async () => {
    const hostile = ['::error::x', '::add-mask::y', '##[set-output name=a;]b', '::stop-commands::', '::stop-commands::pwned', '::pwned::', 'text ##[warning]legacy anywhere', '::endgroup::'];
    const { ns } = await namespaceWithLogs(hostile);
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await runAction({ inputs: inputs(ns, { 'test-image': 'local/test:pass' }) });
      timings[`c_hostile_${i}`] = run.durationMs;
      expect(run.exitCode, run.stdout).toBe(0);
      const secs = sections(run).filter((s) => !hostile.includes(run.lines[s.start] ?? ''));
      expect(secs).toHaveLength(1);
      const s = secs[0];
      if (!s) throw new Error('no section');
      expect(s.token).toMatch(/^ke-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(s.end).toBeGreaterThan(s.start);
      for (const h of hostile) {
        const at = run.lines.flatMap((l, idx) => (l === h ? [idx] : []));
        expect(at.length, h).toBeGreaterThanOrEqual(1);
        for (const idx of at) {
          expect(idx, h).toBeGreaterThan(s.start);
          expect(idx, h).toBeLessThan(s.end);
        }
      }
      for (const h of hostile) expect(h).not.toContain(s.token);
      tokens.push(s.token);
    }
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it('(d) an image that cannot be pulled fails fast, naming ImagePullBackOff', async () => {
    const { ns } = await namespaceWithLogs(['never printed']);
    const run = await runAction({ inputs: inputs(ns, { 'test-image': 'local/app:bad-image', 'job-timeout': '5m' }) });
    timings.d_bad_image = run.durationMs;
    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(30_000);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('ImagePullBackOff');
    expect(errors[0]).toContain(run.outputs['job-name'] ?? 'no job name');
    expect(run.outputs['test-result']).toBe('failed');
    expect(run.outputs['test-exit-code']).toBeUndefined();
    expect(run.lines).not.toContain('never printed');
  });

  it('(e) wait: false returns once the Job is created', async () => {
    const { ns } = await namespaceWithLogs(['x']);
    const run = await runAction({ inputs: inputs(ns, { 'test-image': 'local/test:pass', wait: 'false' }) });
    timings.e_no_wait = run.durationMs;
    expect(run.exitCode, run.stdout).toBe(0);
    const name = run.outputs['job-name'] ?? '';
    expect(name).toMatch(/^test-/);
    expect(run.outputs['test-result']).toBeUndefined();
    const job = await getJson<{ metadata: { uid: string }; status?: { succeeded?: number } }>(['get', 'job', name, '-n', ns]);
    expect(job.metadata.uid).toBeTruthy();
    expect(run.result).toMatchObject({ status: 'success', resources: [{ kind: 'Job', name, action: 'created' }] });
  });

  it('(g) a quota that rejects the pod (FailedCreate) fails fast with the reason', async () => {
    const { ns } = await namespaceWithLogs(['never printed']);
    await kubectl(['create', 'quota', 'compute', '-n', ns, '--hard=limits.cpu=1,limits.memory=1Gi']);
    const run = await runAction({ inputs: inputs(ns, { 'test-image': 'local/test:pass', 'job-timeout': '5m' }) });
    timings.g_quota = run.durationMs;
    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(30_000);
    const errors = errorLines(run);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/FailedCreate: pods cannot be created: .*must specify limits\.cpu/);
    expect(run.outputs['test-exit-code']).toBeUndefined();
  });

  it('(h) cancelled while the Job runs: stops at once and closes the stop-commands section', async () => {
    const { ns } = await namespaceWithLogs(['starting', '::error::would be a command']);
    const manifest = join(dir, `${ns}-job.yaml`);
    writeFileSync(manifest, slowJob('cancelled-tests', '60s', ['tests']));
    let killedAt = 0;
    const run = await runAction({
      inputs: inputs(ns, { job: manifest }),
      killWhen: (line) => line === '::error::would be a command' && (killedAt = Date.now()) > 0,
    });
    timings.h_cancel_exit_after_kill = Date.now() - killedAt;
    expect(run.exitCode).toBe(1);
    expect(Date.now() - killedAt).toBeLessThan(3000);
    const [s] = sections(run);
    expect(s?.end).toBeGreaterThan(s?.start ?? Infinity);
    expect(run.lines.indexOf('::error::would be a command')).toBeLessThan(s?.end ?? -1);
    expect(run.result?.status).toBe('cancelled');
    expect(errorLines(run)).toEqual([expect.stringContaining('cancelled')]);
  });

  it('(i) prefixes lines with the container when the pod has several', async () => {
    const { ns } = await namespaceWithLogs(['hello from a container']);
    const manifest = join(dir, `${ns}-job.yaml`);
    writeFileSync(manifest, slowJob('two-containers', '2s', ['tests', 'sidecar']));
    const run = await runAction({ inputs: inputs(ns, { job: manifest }) });
    timings.i_two_containers = run.durationMs;
    expect(run.exitCode, run.stdout).toBe(0);
    // kwok serves the same file for every container: each line once per container, prefixed
    expect(run.lines.filter((l) => l.endsWith('hello from a container')).sort()).toEqual(['[sidecar] hello from a container', '[tests] hello from a container']);
  });

  it('(f) streams live: lines appended while the Job runs appear at once, long before it ends', async () => {
    const { ns, file } = await namespaceWithLogs(['starting']);
    const manifest = join(dir, `${ns}-job.yaml`);
    writeFileSync(manifest, slowJob('slow-tests', '14s', ['tests']));
    const appendedAt = new Map<string, number>();
    const arrivedAt = new Map<string, number>();
    let t0 = 0;
    let appending: Promise<void> | undefined;
    const appendLive = async (): Promise<void> => {
      for (let i = 1; i <= 5; i++) {
        const text = `live ${i}`;
        appendedAt.set(text, Date.now() - t0);
        appendFileSync(file, criLog([text]));
        await new Promise((r) => setTimeout(r, 1500));
      }
    };
    t0 = Date.now();
    const run = await runAction({
      inputs: inputs(ns, { job: manifest }),
      onLine: (line, atMs) => {
        if (line === 'starting' && !appending) appending = appendLive();
        if (/^live \d$/.test(line)) arrivedAt.set(line, atMs);
      },
    });
    await appending;
    timings.f_live = run.durationMs;
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs['job-name']).toMatch(/^slow-tests-\d+-1-[a-z0-9]{5}$/);
    const passedAt = run.lines.findIndex((l) => l.includes('passed in'));
    for (let i = 1; i <= 5; i++) {
      const text = `live ${i}`;
      const appended = appendedAt.get(text) ?? NaN;
      const arrived = arrivedAt.get(text) ?? NaN;
      // within ~2 s of being written (kwok notices appends via fsnotify, or re-checks each second)
      expect(arrived - appended, text).toBeLessThan(3000);
      expect(run.lines.indexOf(text)).toBeLessThan(passedAt);
      timings[`f_delay_${i}`] = Math.round(arrived - appended);
    }
    // The first live line arrived well before the run ended: output comes while the test runs.
    expect(run.durationMs - (arrivedAt.get('live 1') ?? Infinity)).toBeGreaterThan(5000);
    expect(run.lines.filter((l) => /^live \d$/.test(l))).toEqual(['live 1', 'live 2', 'live 3', 'live 4', 'live 5']);
  });
  it('(j) connections cut while the log streams: resumed, every line exactly once and in order', async () => {
    // Many lines share one timestamp, and every batch lands in the same second as others, so
    // each resume (sinceTime in whole seconds) replays lines that must be dropped.
    const first = Array.from({ length: 20 }, (_, i) => `first ${i + 1}`);
    const { ns, file } = await namespaceWithLogs(first);
    const manifest = join(dir, `${ns}-job.yaml`);
    writeFileSync(manifest, slowJob('dropped', '16s', ['tests']));
    const expected = [...first];
    const appendedAt = new Map<number, number>();
    const arrivedAt = new Map<number, number>();
    let t0 = 0;
    let drops = 0;
    let work: Promise<void> | undefined;
    const script = async (): Promise<void> => {
      const pid = actionPid(ns);
      if (!pid) throw new Error('action process not found');
      for (let b = 1; b <= 5; b++) {
        const batch = Array.from({ length: 10 }, (_, i) => `batch ${b} line ${i + 1}`);
        appendedAt.set(b, Date.now() - t0);
        appendFileSync(file, criLog(batch)); // one timestamp for the batch
        expected.push(...batch);
        if (b % 2 === 0) await new Promise((r) => setTimeout(r, 300)); // sometimes after the lines went out, sometimes racing them
        drops += await dropConnections(pid);
        await new Promise((r) => setTimeout(r, 1200));
      }
    };
    t0 = Date.now();
    const run = await runAction({
      inputs: inputs(ns, { job: manifest }),
      onLine: (line, atMs) => {
        if (line === 'first 20' && !work) work = script();
        const m = /^batch (\d) line 10$/.exec(line);
        if (m) arrivedAt.set(Number(m[1]), atMs);
      },
    });
    await work;
    timings.j_drops = run.durationMs;
    // Each batch arrived while the Job ran, soon after it was written, across the cuts: the
    // stream was resumed, not merely recovered by the final read at the end.
    for (let b = 1; b <= 5; b++) {
      const delay = (arrivedAt.get(b) ?? Infinity) - (appendedAt.get(b) ?? 0);
      timings[`j_batch_${b}_delay`] = delay;
      expect(delay, `batch ${b}`).toBeLessThan(3000);
    }
    expect(drops).toBeGreaterThanOrEqual(5);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/Uncaught|TypeError|AbortError/);
    expect(run.lines.filter((l) => /^(first|batch) /.test(l))).toEqual(expected);
  });
});
