/**
 * A control plane of its own for the fault tests and for the benchmarks (scripts/cluster/cluster.sh
 * with KE_CLUSTER_DIR and other ports), so that restarting the API server, cutting streams or
 * creating 400 namespaces never disturbs `npm test` on the shared cluster in .cluster/, and the
 * shared cluster's traffic never disturbs a measurement.
 *
 * No relative imports: plain Node 24 runs this file as it is (bench/), and so does vitest.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const CLUSTER_SCRIPT = join(REPO_ROOT, 'scripts/cluster/cluster.sh');

/** Ports of each profile; `shared` is the default cluster of `npm test` (.cluster/). */
const PROFILES = {
  shared: { dir: '.cluster', api: 16443, etcd: 12379, peer: 12380, kcm: 10257, scheduler: 10259, kwok: 10247 },
  bench: { dir: '.bench/clusters/bench', api: 17443, etcd: 13379, peer: 13380, kcm: 11257, scheduler: 11259, kwok: 11247 },
  faults: { dir: '.bench/clusters/faults', api: 18443, etcd: 14379, peer: 14380, kcm: 12257, scheduler: 12259, kwok: 12247 },
} as const;

export type ProfileName = keyof typeof PROFILES;

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export class LocalCluster {
  readonly name: ProfileName;
  readonly dir: string;
  /** KE_* variables that point cluster.sh at this cluster. */
  readonly scriptEnv: Readonly<Record<string, string>>;

  constructor(name: ProfileName) {
    const p = PROFILES[name];
    this.name = name;
    this.dir = join(REPO_ROOT, p.dir);
    this.scriptEnv = {
      KE_CLUSTER_DIR: this.dir,
      KE_API_PORT: String(p.api),
      KE_ETCD_PORT: String(p.etcd),
      KE_ETCD_PEER_PORT: String(p.peer),
      KE_KCM_PORT: String(p.kcm),
      KE_SCHEDULER_PORT: String(p.scheduler),
      KE_KWOK_PORT: String(p.kwok),
    };
  }

  /** The KEY=VALUE facts cluster.sh wrote to <dir>/env. */
  env(): Record<string, string> {
    const file = join(this.dir, 'env');
    if (!existsSync(file)) throw new Error(`${file} is missing: the ${this.name} cluster is not up`);
    const out: Record<string, string> = {};
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return out;
  }

  get adminKubeconfigPath(): string {
    return join(this.dir, 'kubeconfig');
  }
  get restrictedKubeconfigPath(): string {
    return join(this.dir, 'kubeconfig-restricted');
  }
  adminKubeconfig(): string {
    return readFileSync(this.adminKubeconfigPath, 'utf8');
  }
  restrictedKubeconfig(): string {
    return readFileSync(this.restrictedKubeconfigPath, 'utf8');
  }
  /** The bearer token of the restricted user (the action's ClusterRole only). */
  restrictedToken(): string {
    const m = /token:\s*"?([^"\s]+)"?/.exec(this.restrictedKubeconfig());
    if (!m?.[1]) throw new Error('no token in the restricted kubeconfig');
    return m[1];
  }
  get apiServer(): string {
    return `https://127.0.0.1:${PROFILES[this.name].api}`;
  }
  get kubectlBin(): string {
    return this.env().KUBECTL ?? 'kubectl';
  }

  /** Environment for child processes (cluster.sh, scripts) that must reach this cluster. */
  processEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, ...this.scriptEnv, ...extra };
  }

  /** `cluster.sh <args>` for this cluster, synchronously, output inherited. */
  scriptSync(args: readonly string[], quiet = false): void {
    execFileSync('bash', [CLUSTER_SCRIPT, ...args], { env: this.processEnv(), stdio: quiet ? 'ignore' : 'inherit' });
  }

  /** `cluster.sh <args>`, resolving with its output (never rejects). */
  script(args: readonly string[], timeoutMs = 180_000): Promise<CommandResult> {
    return run('bash', [CLUSTER_SCRIPT, ...args], { env: this.processEnv(), timeout: timeoutMs });
  }

  healthy(): boolean {
    try {
      execFileSync('bash', [CLUSTER_SCRIPT, 'status'], { env: this.processEnv(), stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /** Brings the cluster up unless it is healthy; throws when it cannot. */
  ensureUp(): void {
    if (this.healthy()) return;
    this.scriptSync(['up']);
    if (!this.healthy()) throw new Error(`the ${this.name} control plane did not come up (KE_CLUSTER_DIR=${this.dir} npm run cluster -- status)`);
  }

  /** kubectl as the admin of this cluster. Rejects on failure unless allowFail. */
  async kubectl(args: readonly string[], o: { input?: string; allowFail?: boolean; kubeconfig?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    const r = await run(this.kubectlBin, ['--kubeconfig', o.kubeconfig ?? this.adminKubeconfigPath, ...args], { input: o.input, timeout: o.timeoutMs ?? 300_000 });
    if (r.code !== 0 && !o.allowFail) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r;
  }

  async getJson<T>(args: readonly string[]): Promise<T> {
    return JSON.parse((await this.kubectl([...args, '-o', 'json'])).stdout) as T;
  }

  /** Serves `file` (CRI log lines) as the log of every container of every pod in `namespace`. */
  async registerPodLogs(namespace: string, file: string): Promise<void> {
    const r = await this.script(['logs', namespace, resolve(file)], 60_000);
    if (r.code !== 0) throw new Error(`registering pod logs for ${namespace} failed: ${r.stderr || r.stdout}`);
  }

  async unregisterPodLogs(namespace: string): Promise<void> {
    await this.kubectl(['delete', 'clusterlogs.kwok.x-k8s.io', `pod-logs-${namespace}`, '--ignore-not-found'], { allowFail: true });
  }
}

export function run(cmd: string, args: readonly string[], o: { env?: NodeJS.ProcessEnv; input?: string | undefined; timeout?: number } = {}): Promise<CommandResult> {
  return new Promise((res) => {
    const child = execFile(cmd, [...args], { env: o.env ?? process.env, timeout: o.timeout ?? 300_000, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      res({ stdout: String(stdout), stderr: String(stderr) || (err && !stderr ? err.message : ''), code });
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}

/** Lines in the CRI log format kwok serves: `<RFC3339Nano> stdout F <text>\n`. */
export function criLines(lines: readonly string[], at: Date = new Date(), stream: 'stdout' | 'stderr' = 'stdout'): string {
  const time = at.toISOString();
  return lines.map((l) => `${time} ${stream} F ${l}\n`).join('');
}
