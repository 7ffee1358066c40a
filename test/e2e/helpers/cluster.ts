import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './run-action.js';

const run = promisify(execFile);

export const CLUSTER_DIR = join(REPO_ROOT, '.cluster');

/** The KEY=VALUE facts `npm run cluster -- up` writes to .cluster/env. */
export function clusterEnv(): Record<string, string> {
  const file = join(CLUSTER_DIR, 'env');
  if (!existsSync(file)) throw new Error(`${file} is missing: the local control plane is not up (npm run cluster -- up)`);
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? '').replace(/^["']|["']$/g, '');
  }
  return out;
}

export const adminKubeconfigPath = (): string => join(CLUSTER_DIR, 'kubeconfig');
export const restrictedKubeconfigPath = (): string => join(CLUSTER_DIR, 'kubeconfig-restricted');
export const restrictedKubeconfig = (): string => readFileSync(restrictedKubeconfigPath(), 'utf8');
export const adminKubeconfig = (): string => readFileSync(adminKubeconfigPath(), 'utf8');

/** kubectl (the one built with the cluster) as the admin, or with another kubeconfig. */
export async function kubectl(args: readonly string[], o: { kubeconfig?: string; input?: string; allowFail?: boolean } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  const bin = clusterEnv().KUBECTL ?? 'kubectl';
  try {
    const child = run(bin, ['--kubeconfig', o.kubeconfig ?? adminKubeconfigPath(), ...args], { maxBuffer: 256 * 1024 * 1024 });
    if (o.input !== undefined) {
      child.child.stdin?.end(o.input);
    }
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (!o.allowFail) throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? String(err)}`);
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

export async function getJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse((await kubectl([...args, '-o', 'json'])).stdout) as T;
}

/** Whether an object exists (kubectl get answers NotFound otherwise). */
export async function exists(args: readonly string[]): Promise<boolean> {
  const r = await kubectl(['get', ...args, '--ignore-not-found', '-o', 'name'], { allowFail: true });
  return r.code === 0 && r.stdout.trim() !== '';
}

/** Deletes namespaces created by a test, without waiting. */
export async function deleteNamespaces(...names: string[]): Promise<void> {
  if (names.length) await kubectl(['delete', 'namespace', ...names, '--ignore-not-found', '--wait=false'], { allowFail: true });
}

/** Waits until a namespace is gone (NotFound), up to timeoutMs. */
export async function waitNamespaceGone(name: string, timeoutMs = 120_000): Promise<boolean> {
  const r = await kubectl(['wait', '--for=delete', `namespace/${name}`, `--timeout=${Math.round(timeoutMs / 1000)}s`], { allowFail: true });
  return r.code === 0 || /not found/i.test(r.stderr);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
