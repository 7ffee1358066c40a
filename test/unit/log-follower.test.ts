/**
 * The follower against a small in-process log server that behaves like the API server in front
 * of a kubelet (follow ends when the container exits) or of kwok (follow never ends), and that
 * can drop connections mid-stream. No cluster needed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../src/clock.js';
import { createKube, type Kube } from '../../src/kube/http.js';
import { followContainerLog, podContainerView, type ContainerView, type ContainerWatch } from '../../src/kube/log-follower.js';
import { openSafeSection } from '../../src/github/safe-output.js';
import type { Log } from '../../src/log.js';
import type { ContainerStatus, Pod } from '../../src/kube/types.js';

interface Line {
  ts: string;
  text: string;
}

interface ServerOptions {
  /** kubelet: a follow ends once the container is not running; kwok: never. */
  flavour: 'kubelet' | 'kwok';
  /** Cut request n (0-based) after this many lines (destroying the socket). */
  dropAfter?: (n: number) => number | undefined;
  /** Answer 400 "waiting to start" to the first n requests. */
  waitingFor?: number;
  /** One HTTP chunk per line, as a kubelet that flushes every line sends them. */
  chunkPerLine?: boolean;
}

class FakeLogServer {
  lines: Line[] = [];
  /** The log of the previous instance of the container (previous=true). */
  previous: Line[] = [];
  /** Followers get no appended lines while stalled (a stuck stream). */
  stalled = false;
  running = true;
  requests: URLSearchParams[] = [];
  private followers = new Set<() => void>();
  private server: http.Server;
  port = 0;

  constructor(private readonly o: ServerOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<Kube> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return createKube(kc, { sleep, maxAttempts: 2 });
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  append(...texts: string[]): void {
    for (const text of texts) this.lines.push({ ts: stamp(this.previous.length + this.lines.length), text });
    if (!this.stalled) for (const f of this.followers) f();
  }

  exit(): void {
    this.running = false;
    for (const f of this.followers) f();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const n = this.requests.length;
    this.requests.push(q);
    if (n < (this.o.waitingFor ?? 0)) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400, message: 'container "c" in pod "p" is waiting to start: ContainerCreating' }));
      return;
    }
    // The API server hands the kubelet sinceTime in whole seconds.
    const since = q.get('sinceTime') ? Date.parse(q.get('sinceTime') ?? '') : -Infinity;
    expect(q.get('sinceTime') ?? 'none').toMatch(/^none$|Z$/);
    const follow = q.get('follow') === 'true';
    const dropAt = this.o.dropAfter?.(n);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    let i = 0;
    let sent = 0;
    const source = q.get('previous') === 'true' ? this.previous : this.lines;
    const pump = (): void => {
      let chunk = '';
      for (; i < source.length; i++) {
        const l = source[i];
        if (!l || Date.parse(l.ts) < since) continue;
        if (dropAt !== undefined && sent >= dropAt) {
          // a line cut in the middle, then the connection is gone
          res.write(chunk + `${l.ts} partial-li`, () => setTimeout(() => res.socket?.destroy(), 5));
          this.followers.delete(pump);
          return;
        }
        if (this.o.chunkPerLine) res.write(`${l.ts} ${l.text}\n`);
        else chunk += `${l.ts} ${l.text}\n`;
        sent++;
      }
      if (chunk) res.write(chunk);
      if (!follow || (this.o.flavour === 'kubelet' && !this.running)) {
        this.followers.delete(pump);
        res.end();
      }
    };
    if (follow) {
      this.followers.add(pump);
      res.on('close', () => this.followers.delete(pump));
    }
    pump();
  }
}

/** Several lines share each millisecond, and each second has many lines (second-precision sinceTime replays them). */
function stamp(i: number): string {
  const base = Date.UTC(2026, 10, 23, 10, 0, 0);
  const ms = base + Math.floor(i / 3) * 7;
  const iso = new Date(ms).toISOString(); // .mmmZ
  // Two of three lines carry the very same timestamp; trailing zeros trimmed like Go's RFC3339Nano.
  const nanos = `${iso.slice(20, 23)}${i % 3 === 2 ? '000001' : '000000'}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${nanos ? `.${nanos}` : ''}Z`;
}

class Watch implements ContainerWatch {
  view: ContainerView = { state: 'running', restartCount: 0 };
  private fns = new Set<() => void>();
  current(): ContainerView {
    return this.view;
  }
  onChange(fn: () => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  set(state: ContainerView['state']): void {
    this.view = { ...this.view, state };
    for (const f of [...this.fns]) f();
  }
}

let servers: FakeLogServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function setup(o: ServerOptions): Promise<{ server: FakeLogServer; kube: Kube; watch: Watch; out: string[] }> {
  const server = new FakeLogServer(o);
  servers.push(server);
  const kube = await server.start();
  return { server, kube, watch: new Watch(), out: [] };
}

const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

describe('followContainerLog', () => {
  it('kwok: the follow never ends; stops when the container terminates and reads the tail once more', async () => {
    const { server, kube, watch, out } = await setup({ flavour: 'kwok' });
    server.append(...numbered(0, 50));
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: (l) => out.push(...l) });
    await until(() => out.length === 50);
    server.append(...numbered(50, 60));
    await until(() => out.length === 60); // live
    // Lines written just before the exit, which the follow may not have delivered yet:
    server.append(...numbered(60, 70));
    server.exit();
    watch.set('terminated');
    const r = await done;
    expect(out).toEqual(numbered(0, 70));
    expect(r.lines).toBe(70);
    expect(server.requests.at(-1)?.get('follow')).toBeNull(); // the final read does not follow
    expect(server.requests.at(-1)?.get('sinceTime')).toMatch(/^2026-11-23T10:00:00Z$/);
  });

  it('a burst of one-line HTTP chunks reaches the sink in a few batches, not a call per line', async () => {
    const { server, kube, watch, out } = await setup({ flavour: 'kwok', chunkPerLine: true });
    server.append(...numbered(0, 3000));
    let calls = 0;
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: (l) => { calls++; out.push(...l); } });
    await until(() => out.length === 3000);
    watch.set('terminated');
    await done;
    expect(out).toEqual(numbered(0, 3000));
    expect(calls).toBeLessThan(300);
  });

  it('kubelet: the follow ends at exit before the pod status says so; nothing lost or repeated', async () => {
    const { server, kube, watch, out } = await setup({ flavour: 'kubelet' });
    server.append(...numbered(0, 30));
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: (l) => out.push(...l) });
    await until(() => out.length === 30);
    server.append(...numbered(30, 40));
    server.exit();
    await sleep(400); // the stream has ended; the pod watch is late
    watch.set('terminated');
    await done;
    expect(out).toEqual(numbered(0, 40));
  });

  it.each([0, 1, 2, 3, 5, 8, 13])('drops every connection after %d lines, resumes with sinceTime, loses and repeats nothing', async (k) => {
    const { server, kube, watch, out } = await setup({ flavour: 'kubelet', dropAfter: (n) => (n < (k === 0 ? 4 : 12) ? k : undefined) });
    server.append(...numbered(0, 40));
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: (l) => out.push(...l) });
    await until(() => out.length >= 40 || server.requests.length > 12).catch((e) => { throw new Error(`${e} out=${out.length} req=${server.requests.length} ${JSON.stringify(out.slice(-3))}`); });
    server.append(...numbered(40, 45));
    await until(() => out.length >= 45);
    server.exit();
    watch.set('terminated');
    const r = await done;
    expect(out).toEqual(numbered(0, 45));
    expect(r.resumes).toBeGreaterThan(0);
    expect(out.some((l) => l.includes('partial'))).toBe(false);
  }, 20_000);

  it('waits for the container to start: no request while waiting, a 400 "waiting to start" is not a failure', async () => {
    const { server, kube, watch, out } = await setup({ flavour: 'kubelet', waitingFor: 1 });
    watch.view = { state: 'waiting', restartCount: 0 };
    server.append(...numbered(0, 5));
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: (l) => out.push(...l) });
    await sleep(100);
    expect(server.requests.length).toBe(0);
    watch.set('running'); // the first request is answered 400 waiting to start
    await until(() => server.requests.length === 1);
    await sleep(100);
    watch.set('running'); // the next pod update: try again
    await until(() => out.length === 5);
    server.exit();
    watch.set('terminated');
    await done;
    expect(out).toEqual(numbered(0, 5));
  });

  it('a container restarted in place: the end of the previous run is read with previous=true', async () => {
    const { server, kube, watch, out } = await setup({ flavour: 'kwok' });
    server.append(...numbered(0, 5));
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: (l) => out.push(...l) });
    await until(() => out.length === 5);
    server.stalled = true;
    server.append(...numbered(5, 8)); // written, never delivered by the stuck follow
    // the container restarts: its log so far becomes the previous one
    server.previous = server.lines;
    server.lines = [];
    server.stalled = false;
    server.append(...numbered(8, 10));
    watch.view = { state: 'running', restartCount: 1 };
    watch.set('running');
    await until(() => out.length === 10);
    server.exit();
    watch.set('terminated');
    await done;
    expect(out).toEqual(numbered(0, 10));
    expect(server.requests.some((q) => q.get('previous') === 'true')).toBe(true);
  });

  it('stops at once on abort, also mid-stream, without unhandled errors', async () => {
    const { server, kube, watch, out } = await setup({ flavour: 'kwok' });
    server.append(...numbered(0, 3));
    const ac = new AbortController();
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: ac.signal, onLines: (l) => out.push(...l) });
    await until(() => out.length === 3);
    const t0 = Date.now();
    ac.abort(new Error('cancelled'));
    await expect(done).rejects.toThrow('cancelled');
    expect(Date.now() - t0).toBeLessThan(200);
  });

  it('a never-started container that is gone ends without a request', async () => {
    const { server, kube, watch } = await setup({ flavour: 'kwok' });
    watch.view = { state: 'waiting', restartCount: 0 };
    const done = followContainerLog({ kube, namespace: 'ns', pod: 'p', container: 'c', watch, signal: new AbortController().signal, onLines: () => undefined });
    watch.set('gone');
    const r = await done;
    expect(r.started).toBe(false);
    expect(server.requests.length).toBe(0);
  });

  it('streams 200 000 lines into a safe section quickly (benchmark)', async () => {
    const { server, kube, watch } = await setup({ flavour: 'kubelet' });
    const N = 200_000;
    for (let i = 0; i < N; i++) server.lines.push({ ts: stamp(i), text: `line ${i} of the benchmark, some words to make it longer` });
    let bytes = 0;
    let count = 0;
    const log: Log = { info: () => undefined, debug: () => undefined, warning: () => undefined, error: () => undefined, group: async (_n, f) => f(), setSecret: () => undefined, write: (t) => void (bytes += t.length) };
    const section = openSafeSection(log);
    const t0 = performance.now();
    server.running = false;
    watch.view = { state: 'terminated', restartCount: 0 };
    await followContainerLog({
      kube,
      namespace: 'ns',
      pod: 'p',
      container: 'c',
      watch,
      signal: new AbortController().signal,
      onLines: (l) => {
        count += l.length;
        section.lines(l);
      },
    });
    section.close();
    const ms = performance.now() - t0;
    console.log(`200000 lines followed and written in ${ms.toFixed(0)} ms (${(bytes / 1e6).toFixed(1)} MB)`);
    expect(count).toBe(N);
    expect(ms).toBeLessThan(5000);
  }, 30_000);
});

describe('podContainerView', () => {
  const pod = (statuses: ContainerStatus[], phase = 'Running'): Pod => ({ metadata: { name: 'p' }, status: { phase, containerStatuses: statuses } });
  it.each([
    [pod([{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } } }], 'Pending'), 'waiting'],
    [pod([{ name: 'c', state: { running: {} } }]), 'running'],
    [pod([{ name: 'c', state: { terminated: { exitCode: 0 } } }], 'Succeeded'), 'terminated'],
    [pod([], 'Failed'), 'terminated'],
    [pod([]), 'waiting'],
    [undefined, 'gone'],
  ])('%j is %s', (p, state) => expect(podContainerView(p, 'c').state).toBe(state));
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await sleep(10);
  }
}
