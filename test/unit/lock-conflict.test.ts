/**
 * The environment lock after a 409 that the lease cache never reflects (nothing was created: an
 * object created and deleted again in between, or an intermediary answering 409). Before the fix
 * the lock waited for the cache to move past the state its write was based on — until the whole
 * timeout (5 min by default, in post too). Found by the fault tests (test/faults/api-errors).
 * Now it decides again after a short pause and takes the lock.
 */
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { lockForPost } from '../../src/environment/lock.js';
import type { Lease } from '../../src/environment/lease.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { Kube, RequestOptions } from '../../src/kube/http.js';
import type { Log } from '../../src/log.js';

const NS = 'pr-7-shop';
const owner = { repository: 'acme/shop', repoLabel: 'acme.shop' };

/** An in-memory API with one namespace and its leases; the first lease POST answers 409 and creates nothing. */
class FakeApi implements Kube {
  readonly server = 'http://fake';
  readonly counts: Record<string, number> = {};
  private rv = 10;
  private lease: Lease | undefined;
  private watchers = new Set<PassThrough>();
  posts = 0;

  async request<T>(o: RequestOptions): Promise<T> {
    return (await this.send<T>(o)).body;
  }

  async send<T>(o: RequestOptions): Promise<{ status: number; body: T }> {
    this.counts[o.method] = (this.counts[o.method] ?? 0) + 1;
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
    if (o.method === 'GET' && o.path === `/api/v1/namespaces/${NS}`) {
      return { status: 200, body: { metadata: { name: NS, labels: { 'app.kubernetes.io/managed-by': 'kube-ephemeral', 'kube-ephemeral.io/repo': 'acme.shop' } } } as T };
    }
    if (o.method === 'GET' && o.path === leases) {
      return { status: 200, body: { items: this.lease ? [this.lease] : [], metadata: { resourceVersion: String(this.rv) } } as T };
    }
    if (o.method === 'POST' && o.path === leases) {
      this.posts++;
      if (this.posts === 1) throw new KubeApiError('POST', o.path, 409, JSON.stringify({ kind: 'Status', reason: 'AlreadyExists', code: 409, message: 'already exists' }));
      this.lease = { ...(o.body as Lease), metadata: { ...(o.body as Lease).metadata, namespace: NS, resourceVersion: String(++this.rv) } };
      this.emit('ADDED', this.lease);
      return { status: 201, body: this.lease as T };
    }
    if (o.method === 'PATCH' && o.path === `${leases}/kube-ephemeral-lock` && this.lease) {
      const body = o.body as { spec?: Lease['spec'] };
      this.lease = { ...this.lease, spec: { ...this.lease.spec, ...(Array.isArray(o.body) ? {} : body.spec) }, metadata: { ...this.lease.metadata, resourceVersion: String(++this.rv) } };
      this.emit('MODIFIED', this.lease);
      return { status: 200, body: this.lease as T };
    }
    throw new KubeApiError(o.method, o.path, 404, JSON.stringify({ kind: 'Status', reason: 'NotFound', code: 404, message: 'not found' }));
  }

  async open(o: RequestOptions): Promise<IncomingMessage> {
    const stream = new PassThrough();
    this.watchers.add(stream);
    stream.on('close', () => this.watchers.delete(stream));
    o.signal?.addEventListener('abort', () => stream.destroy(), { once: true });
    return stream as unknown as IncomingMessage;
  }

  private emit(type: string, object: Lease): void {
    for (const w of this.watchers) w.write(`${JSON.stringify({ type, object })}\n`);
  }

  close(): void {
    for (const w of this.watchers) w.end();
  }
}

const quiet: Log = { info: () => undefined, debug: () => undefined, warning: () => undefined, error: () => undefined, group: (_n, fn) => fn(), write: () => undefined, setSecret: () => undefined };

describe('the environment lock after a conflict the cache never shows', () => {
  it('decides again after a short pause and takes the lock (not at the timeout)', async () => {
    const api = new FakeApi();
    const ac = new AbortController();
    const t0 = Date.now();
    try {
      const got = await lockForPost(
        { kube: api, log: quiet, clock: systemClock, signal: ac.signal, ctx: { runId: '42', runAttempt: '1', sha: 'a'.repeat(40), runUrl: '' }, timeoutMs: 15_000 },
        NS,
        owner,
      );
      expect(got.kind).toBe('locked');
      expect(api.posts).toBe(2);
      expect(Date.now() - t0).toBeLessThan(6000);
      if (got.kind === 'locked') await got.lock.release();
    } finally {
      ac.abort();
      api.close();
    }
  }, 20_000);
});
