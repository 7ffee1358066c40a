/** What the fault tests share: their cluster, runs of the action against it, line checks. */
import { readdirSync, readFileSync } from 'node:fs';
import { BUNDLE, nextRunId, pullRequestEvent, runAction, type ActionRun, type RunOptions } from '../../e2e/helpers/run-action.js';
import { LocalCluster, criLines } from './local-cluster.js';

export { BUNDLE, criLines, nextRunId, pullRequestEvent, runAction, type ActionRun, type RunOptions };

export const cluster = new LocalCluster('faults');

const created: string[] = [];

/** A namespace of the test's own (deleted by cleanupNamespaces), ready for pods. */
export async function newNamespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  created.push(ns);
  await cluster.kubectl(['create', 'namespace', ns]);
  await cluster.kubectl(['-n', ns, 'wait', '--for=create', 'serviceaccount/default', '--timeout=60s']);
  return ns;
}

/** Records a namespace the action creates, for cleanupNamespaces. */
export function track(ns: string): string {
  created.push(ns);
  return ns;
}

export async function cleanupNamespaces(): Promise<void> {
  const names = created.splice(0);
  await Promise.all(names.map((ns) => cluster.unregisterPodLogs(ns)));
  if (names.length) await cluster.kubectl(['delete', 'namespace', ...names, '--ignore-not-found', '--wait=false'], { allowFail: true });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

let nextPrNumber = 1000 + Math.floor(Math.random() * 900_000);
export function freshPr(): { number: number; ns: string } {
  const number = nextPrNumber++;
  return { number, ns: track(`pr-${number}-shop`) };
}

export async function namespaceExists(ns: string): Promise<boolean> {
  const r = await cluster.kubectl(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name'], { allowFail: true });
  return r.stdout.trim() !== '';
}

/** Waits until a namespace is gone (true) or the time is up (false). */
export async function namespaceGone(ns: string, timeoutS = 120): Promise<boolean> {
  const r = await cluster.kubectl(['wait', '--for=delete', `namespace/${ns}`, `--timeout=${timeoutS}s`], { allowFail: true });
  return r.code === 0 || /not found/i.test(r.stderr);
}

/** Lines `prefix 1` .. `prefix n`. */
export const numbered = (prefix: string, n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${from + i}`);

/** Lost, repeated and misplaced lines of `got` against `expected` (each expected line unique). */
export function compareLines(got: readonly string[], expected: readonly string[]): { lost: string[]; repeated: string[]; inOrder: boolean } {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const l of got) if (want.has(l)) seen.set(l, (seen.get(l) ?? 0) + 1);
  const lost = expected.filter((l) => !seen.has(l));
  const repeated = [...seen].filter(([, n]) => n > 1).map(([l]) => l);
  const filtered = got.filter((l) => want.has(l));
  const inOrder = filtered.length === expected.length && filtered.every((l, i) => l === expected[i]);
  return { lost, repeated, inOrder };
}

/** `::error` lines outside stop-commands sections: what the runner shows as errors. */
export function errorLines(run: ActionRun): string[] {
  let token: string | undefined;
  const out: string[] = [];
  for (const l of run.lines) {
    if (token) {
      if (l === `::${token}::`) token = undefined;
      continue;
    }
    const m = /^::stop-commands::(.+)$/.exec(l);
    if (m) token = m[1];
    else if (l.startsWith('::error')) out.push(l);
  }
  return out;
}

/** A Job whose pod runs `duration` (kwok stage annotation) with local/test:pass. */
export function jobManifest(name: string, duration: string): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    '    metadata:',
    '      annotations:',
    `        kube-ephemeral.test/run-duration: "${duration}"`,
    '    spec:',
    '      restartPolicy: Never',
    '      containers:',
    '      - name: tests',
    '        image: local/test:pass',
    '',
  ].join('\n');
}

/** The pid of the action process of a run (found by its GITHUB_RUN_ID), for a SIGKILL. */
export function actionPid(runId: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(BUNDLE)) continue;
      if (readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`GITHUB_RUN_ID=${runId}`)) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Inputs every action run of the fault tests shares: the faults cluster, no GitHub calls. */
export function baseInputs(extra: Record<string, string> = {}): Record<string, string> {
  return { kubeconfig: cluster.adminKubeconfig(), comment: 'false', 'github-deployment': 'false', ...extra };
}
