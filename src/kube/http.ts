import https from 'node:https';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeNetworkError, isRetryable } from './errors.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  readonly method: Method;
  readonly path: string;
  readonly query?: Query;
  /** Sent as JSON (`JSON.stringify`), never through the client's model serializer. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Send again on 429/5xx/lost connection. Defaults to true for GET only; 429 and a refused connection are retried for every request (see notProcessed). */
  readonly retry?: boolean;
}

/** The one door to the API server: plain JSON in, plain JSON out. */
export interface Kube {
  readonly server: string;
  request<T>(o: RequestOptions): Promise<T>;
  /** Like request, with the HTTP status (201 Created vs 200 OK). */
  send<T>(o: RequestOptions): Promise<{ status: number; body: T }>;
  /** A streaming GET (watch, logs): resolves with the response once a 200 arrives. */
  open(o: RequestOptions): Promise<IncomingMessage>;
  /** Requests sent so far, by verb (for the report and the benchmarks). */
  readonly counts: Readonly<Record<string, number>>;
}

export interface HttpDeps {
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly maxAttempts?: number;
}

export function buildUrl(server: string, path: string, query: Query = {}): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

/** Backoff of attempt n (1-based): 250 ms doubling to 8 s, or what the server asked for. */
export function backoffMs(attempt: number, err: unknown): number {
  if (err instanceof KubeApiError && err.retryAfterSeconds !== undefined) {
    return Math.min(Math.max(err.retryAfterSeconds, 0.1), 30) * 1000;
  }
  return Math.min(250 * 2 ** (attempt - 1), 8000);
}

export function createKube(kc: KubeConfig, deps: HttpDeps): Kube {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const server = cluster.server;
  const counts: Record<string, number> = {};
  let agent: http.Agent | undefined;
  const maxAttempts = deps.maxAttempts ?? 6;

  async function options(method: Method, signal?: AbortSignal): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = { method, headers: {} };
    await kc.applyToHTTPSOptions(opts);
    if (!cluster?.proxyUrl) {
      // The client's agent does not keep connections alive; ours does, which saves a TLS
      // handshake per request.
      agent ??= server.startsWith('https:')
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 32,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            pfx: opts.pfx,
            passphrase: opts.passphrase,
            ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
            ...(opts.servername ? { servername: opts.servername } : {}),
          })
        : new http.Agent({ keepAlive: true, maxSockets: 32 });
      opts.agent = agent;
    }
    if (signal) opts.signal = signal;
    return opts;
  }

  async function once(o: RequestOptions, stream: boolean): Promise<{ res: IncomingMessage; body?: string }> {
    const url = buildUrl(server, o.path, o.query);
    const opts = await options(o.method, o.signal);
    const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers as Record<string, string>) };
    let payload: string | undefined;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    opts.headers = headers;
    counts[o.method] = (counts[o.method] ?? 0) + 1;
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, opts, (res) => {
        const status = res.statusCode ?? 0;
        if (stream && status === 200) {
          res.socket?.setKeepAlive(true, 15_000);
          resolve({ res });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(network(o, e)));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) resolve({ res, body });
          else reject(new KubeApiError(o.method, o.path, status, body, header(res, 'retry-after')));
        });
      });
      req.on('error', (e) => reject(o.signal?.aborted ? o.signal.reason ?? e : network(o, e)));
      if (!stream) req.setTimeout(120_000, () => req.destroy(Object.assign(new Error('no answer in 120 s'), { code: 'ETIMEDOUT' })));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async function withRetry<T>(o: RequestOptions, fn: () => Promise<T>): Promise<T> {
    const retry = o.retry ?? o.method === 'GET';
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(retry || notProcessed(err)) || attempt >= maxAttempts || !isRetryable(err) || o.signal?.aborted) throw err;
        await deps.sleep(backoffMs(attempt, err), o.signal);
      }
    }
  }

  async function send<T>(o: RequestOptions): Promise<{ status: number; body: T }> {
    return withRetry(o, async () => {
      const { res, body } = await once(o, false);
      const status = res.statusCode ?? 0;
      if (!body) return { status, body: undefined as T };
      try {
        return { status, body: JSON.parse(body) as T };
      } catch {
        return { status, body: body as T };
      }
    });
  }

  return {
    server,
    counts,
    async request<T>(o: RequestOptions): Promise<T> {
      return (await send<T>(o)).body;
    },
    send,
    async open(o: RequestOptions): Promise<IncomingMessage> {
      return withRetry(o, async () => (await once(o, true)).res);
    },
  };
}

/**
 * The server certainly did not act on the request, so any request (a POST too) may be sent again:
 * 429 (throttled by max-in-flight or priority and fairness, before any handler ran) and a refused
 * connection (nothing was sent).
 */
export function notProcessed(err: unknown): boolean {
  return (err instanceof KubeApiError && err.status === 429) || (err instanceof KubeNetworkError && err.code === 'ECONNREFUSED');
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function network(o: RequestOptions, e: unknown): KubeNetworkError {
  const err = e as { code?: string; message?: string };
  return new KubeNetworkError(o.method, o.path, err.code ?? 'ERROR', err.message ?? '');
}
