/**
 * Which failed requests the one HTTP door sends again. A 429 means the API server declined before
 * doing anything, and a refused connection means nothing was sent: both are retried for every
 * request, a POST included (found by the fault tests: a throttled POST of the test Job, a lease or
 * a SelfSubjectAccessReview failed the whole run). A 500 on a POST is not retried: the object
 * may have been created.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, KubeNetworkError } from '../../src/kube/errors.js';
import { createKube, notProcessed, type Kube } from '../../src/kube/http.js';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server answering each request with the next status of `statuses` (then 200/201). */
async function serve(statuses: number[]): Promise<{ kube: Kube; seen: string[]; sleeps: number[] }> {
  const seen: string[] = [];
  server = http.createServer((req, res) => {
    seen.push(req.method ?? '');
    req.resume();
    const status = statuses.shift() ?? (req.method === 'POST' ? 201 : 200);
    const body = status >= 400 ? { kind: 'Status', code: status, reason: status === 429 ? 'TooManyRequests' : 'InternalError', message: 'injected' } : { kind: 'Thing', metadata: { name: 'x' } };
    res.writeHead(status, { 'Content-Type': 'application/json', ...(status === 429 ? { 'Retry-After': '1' } : {}) });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { ...client(`http://127.0.0.1:${port}`), seen };
}

function client(url: string): { kube: Kube; sleeps: number[] } {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: url, skipTLSVerify: true }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  const sleeps: number[] = [];
  const kube = createKube(kc, { sleep: async (ms) => void sleeps.push(ms), maxAttempts: 4 });
  return { kube, sleeps };
}

describe('retries of the HTTP door', () => {
  it('sends a POST again after a 429, honouring Retry-After', async () => {
    const { kube, seen, sleeps } = await serve([429, 429]);
    await expect(kube.request({ method: 'POST', path: '/apis/batch/v1/namespaces/n/jobs', body: {} })).resolves.toMatchObject({ kind: 'Thing' });
    expect(seen).toEqual(['POST', 'POST', 'POST']);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('does not send a POST again after a 500 (it may have been acted on)', async () => {
    const { kube, seen } = await serve([500]);
    await expect(kube.request({ method: 'POST', path: '/apis/batch/v1/namespaces/n/jobs', body: {} })).rejects.toBeInstanceOf(KubeApiError);
    expect(seen).toEqual(['POST']);
  });

  it('sends a GET again after a 500, with a growing backoff', async () => {
    const { kube, seen, sleeps } = await serve([500, 500]);
    await kube.request({ method: 'GET', path: '/api/v1/namespaces/n' });
    expect(seen).toEqual(['GET', 'GET', 'GET']);
    expect(sleeps).toEqual([250, 500]);
  });

  it('sends a POST again when the connection was refused, up to maxAttempts', async () => {
    // a port nothing listens on
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { kube, sleeps } = client(`http://127.0.0.1:${port}`);
    await expect(kube.request({ method: 'POST', path: '/x', body: {} })).rejects.toBeInstanceOf(KubeNetworkError);
    expect(sleeps).toHaveLength(3);
  });

  it('notProcessed: 429 and refused connections only', () => {
    expect(notProcessed(new KubeApiError('POST', '/x', 429, '{}'))).toBe(true);
    expect(notProcessed(new KubeApiError('POST', '/x', 500, '{}'))).toBe(false);
    expect(notProcessed(new KubeNetworkError('POST', '/x', 'ECONNREFUSED', ''))).toBe(true);
    expect(notProcessed(new KubeNetworkError('POST', '/x', 'ECONNRESET', ''))).toBe(false);
  });
});
