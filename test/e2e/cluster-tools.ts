/**
 * Small tools for tests that use the local control plane (scripts/cluster/cluster.sh).
 *
 * Pod behaviour is chosen by the image of a pod's first container (scripts/cluster/stages):
 * `local/test:pass` runs ~2 s then exits 0, `local/test:fail` runs ~2 s then exits 1,
 * `local/app:bad-image` stays in ImagePullBackOff, `local/app:crashloop` in CrashLoopBackOff,
 * anything else is Running and Ready at once (Job pods complete at once).
 * What `kubectl logs` shows for the pods of a namespace comes from a file: `registerPodLogs`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CLUSTER_SCRIPT = join(REPO_ROOT, 'scripts/cluster/cluster.sh');

/** The facts `cluster.sh up` writes to .cluster/env. */
export interface ClusterEnv {
  KUBECONFIG_ADMIN: string;
  KUBECONFIG_RESTRICTED: string;
  KUBECTL: string;
  BIN_DIR: string;
  POD_LOGS_DIR: string;
  API_SERVER: string;
  KUBE_VERSION: string;
}

export function readClusterEnv(dir = join(REPO_ROOT, '.cluster')): ClusterEnv {
  const file = join(dir, 'env');
  if (!existsSync(file)) throw new Error(`${file} is missing: the local cluster is not up (npm run cluster -- up)`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const keys = ['KUBECONFIG_ADMIN', 'KUBECONFIG_RESTRICTED', 'KUBECTL', 'BIN_DIR', 'POD_LOGS_DIR', 'API_SERVER', 'KUBE_VERSION'] as const;
  for (const k of keys) if (!env[k]) throw new Error(`${file} has no ${k}`);
  return env as unknown as ClusterEnv;
}

/**
 * Serve `file` as the output of every container of every pod in `namespace` (kubectl logs,
 * GET pods/NAME/log), now and for pods created later. The same as
 * `npm run cluster -- logs <namespace> <file>`; a second call for the namespace replaces the file.
 * Resolves once kwok serves it. The file is read on every request; append to it (do not rewrite
 * it) while someone follows the logs. Lines: see `criLog`.
 */
export async function registerPodLogs(namespace: string, file: string): Promise<void> {
  try {
    await run('bash', [CLUSTER_SCRIPT, 'logs', namespace, resolve(file)], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`registerPodLogs(${namespace}, ${file}) failed: ${e.stderr || e.stdout || String(err)}`);
  }
}

/** Removes the registration of `namespace` (its pods then have no logs). */
export async function unregisterPodLogs(namespace: string): Promise<void> {
  const env = readClusterEnv();
  await run(env.KUBECTL, ['--kubeconfig', env.KUBECONFIG_ADMIN, 'delete', 'clusterlogs.kwok.x-k8s.io', `pod-logs-${namespace}`, '--ignore-not-found'], { timeout: 60_000 });
}

/** Lines in the CRI log format kwok reads: `<RFC3339Nano> stdout F <text>\n` each. */
export function criLog(lines: readonly string[], stream: 'stdout' | 'stderr' = 'stdout', at: Date = new Date()): string {
  const time = at.toISOString();
  return lines.map((l) => `${time} ${stream} F ${l}\n`).join('');
}
