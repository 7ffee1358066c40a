/** What every benchmark case gets: the cluster, the contenders' binaries, rounds, a work dir. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCluster } from '../../test/faults/helpers/local-cluster.ts';
import { criLines } from '../../test/faults/helpers/local-cluster.ts';
import type { Summary } from './stats.ts';

export type ContenderName = 'action' | 'kubectl' | 'helm';

export interface BenchContext {
  readonly cluster: LocalCluster;
  /** The bundled action (dist/index.js unless KE_BUNDLE). */
  readonly bundle: string;
  readonly kubectl: string;
  /** Helm 4, or undefined when it could not be built (its columns stay empty). */
  readonly helm: string | undefined;
  readonly rounds: number;
  readonly work: string;
  log(message: string): void;
}

export interface MetricRow {
  readonly metric: string;
  readonly unit: 'ms' | 'count' | 'bytes' | 'lines';
  readonly action?: Summary;
  readonly kubectl?: Summary;
  readonly helm?: Summary;
  /** How each contender's number is taken. */
  readonly how?: string;
}

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly rows: readonly MetricRow[];
  readonly notes: readonly string[];
  readonly details?: unknown;
}

/** The contenders in a different order each round, so that none always runs first (warm caches, load). */
export function order<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Environment for kubectl and helm with a cold discovery cache, as on a fresh runner. */
export function toolEnv(ctx: BenchContext, kubeconfig: string = ctx.cluster.adminKubeconfigPath): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(ctx.work, 'tool-'));
  return {
    ...process.env,
    KUBECTL: ctx.kubectl,
    HELM: ctx.helm ?? 'helm',
    KUBECONFIG: kubeconfig,
    KUBECACHEDIR: join(home, 'kube-cache'),
    HELM_CACHE_HOME: join(home, 'helm-cache'),
    HELM_CONFIG_HOME: join(home, 'helm-config'),
    HELM_DATA_HOME: join(home, 'helm-data'),
  };
}

/** A small test output for the Job of `namespace` (kwok serves it as every pod's log). */
export async function registerTestLog(ctx: BenchContext, namespace: string, lines: readonly string[] = TEST_OUTPUT): Promise<void> {
  const file = join(ctx.work, `${namespace}.log`);
  writeFileSync(file, criLines(lines));
  await ctx.cluster.registerPodLogs(namespace, file);
}

export const TEST_OUTPUT = ['> shop@1.0.0 test', '> vitest run', ' ✓ cart.test.ts (12 tests) 41ms', ' ✓ checkout.test.ts (7 tests) 88ms', ' Test Files  2 passed (2)', '      Tests  19 passed (19)'];

/** Waits until the namespace is gone (kubectl wait --for=delete). */
export async function waitGone(ctx: BenchContext, namespace: string): Promise<void> {
  await ctx.cluster.kubectl(['wait', '--for=delete', `namespace/${namespace}`, '--timeout=300s'], { allowFail: true });
}

export async function namespaceExists(ctx: BenchContext, namespace: string): Promise<boolean> {
  const r = await ctx.cluster.kubectl(['get', 'namespace', namespace, '--ignore-not-found', '-o', 'name'], { allowFail: true });
  return r.stdout.trim() !== '';
}
