/**
 * Case 5: cold start — from the spawn of the process to its first connection to the API server —
 * and the size of what runs. The "API server" is a TCP listener that notes the time of each
 * connection and never answers; the process is killed once it has connected. The action runs `up`
 * with the inputs of case 1 (its first call is GET /version); kubectl runs `get namespaces` and
 * helm `list`, each with a fresh cache directory, as on a new runner.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { newRunId, pullRequestEvent, runActionTimed } from '../lib/action.ts';
import { type BenchContext, type CaseResult, type ContenderName, order, toolEnv } from '../lib/context.ts';
import { runTimed } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';
import { upInputs } from './up.ts';

/** Notes the time (performance.now) of the first connection after each arm(). */
class FirstConnection {
  private readonly server = createServer((s) => this.accept(s));
  private readonly sockets = new Set<Socket>();
  private waiting: ((t: number) => void) | undefined;
  port = 0;
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }
  arm(): Promise<number> {
    return new Promise((r) => (this.waiting = r));
  }
  private accept(s: Socket): void {
    const t = performance.now();
    this.sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
    const w = this.waiting;
    this.waiting = undefined;
    w?.(t);
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export async function coldStartCase(ctx: BenchContext): Promise<CaseResult> {
  const listener = new FirstConnection();
  await listener.start();
  // The admin's kubeconfig (its certificate is loaded as usual), pointed at the listener.
  const kubeconfig = ctx.cluster.adminKubeconfig().replace(/server: \S+/, `server: https://127.0.0.1:${listener.port}`);
  const kubeconfigFile = join(ctx.work, 'cold-start.kubeconfig');
  writeFileSync(kubeconfigFile, kubeconfig);
  const contenders: ContenderName[] = ctx.helm ? ['action', 'kubectl', 'helm'] : ['action', 'kubectl'];
  const times: Record<ContenderName, number[]> = { action: [], kubectl: [], helm: [] };
  const rounds = Math.max(ctx.rounds * 2, 10);
  try {
    for (let r = 0; r < rounds; r++) {
      for (const who of order(contenders, r)) {
        const connected = listener.arm();
        const stop = new AbortController();
        const t0 = performance.now();
        let running: Promise<unknown>;
        if (who === 'action') {
          running = runActionTimed({ bundle: ctx.bundle, inputs: upInputs(ctx, { kubeconfig }), event: pullRequestEvent({ number: 1 }), runId: newRunId(), abort: stop.signal, timeoutMs: 30_000 });
        } else {
          const env = toolEnv(ctx, kubeconfigFile);
          const args = who === 'kubectl' ? ['get', 'namespaces'] : ['list', '-A'];
          running = runTimed(who === 'kubectl' ? ctx.kubectl : (ctx.helm ?? 'helm'), args, { env, abort: stop.signal, timeoutMs: 30_000 });
        }
        const t = await Promise.race([connected, running.then(() => Number.NaN)]);
        times[who].push(t - t0);
        stop.abort();
        await running;
      }
    }
  } finally {
    await listener.stop();
  }
  const bundleBytes = statSync(ctx.bundle).size;
  const gz = gzipSync(readFileSync(ctx.bundle)).length;
  const one = (x: number) => summarize([x]);
  return {
    id: 'cold-start',
    title: 'cold start',
    rows: [
      {
        metric: 'spawn to the first connection to the API server',
        unit: 'ms',
        action: summarize(times.action),
        kubectl: summarize(times.kubectl),
        ...(ctx.helm ? { helm: summarize(times.helm) } : {}),
        how: `${rounds} rounds; action: node <bundle> with the inputs of up; kubectl get namespaces; helm list -A`,
      },
      { metric: 'size on disk', unit: 'bytes', action: one(bundleBytes), kubectl: one(statSync(ctx.kubectl).size), ...(ctx.helm ? { helm: one(statSync(ctx.helm).size) } : {}) },
    ],
    notes: [`the bundle is ${bundleBytes} bytes (${gz} gzipped) and runs on the runner's Node 24; kubectl and helm are Go binaries built here with go install (not stripped), each one process per call`],
  };
}
