/**
 * A small HTTP proxy on 127.0.0.1 in front of the real kube-apiserver, for the fault tests and the
 * request count of the benchmarks. It forwards every request (watch and log streams included,
 * unbuffered) over TLS to the API server, and records each one. It can:
 *  - answer chosen requests (method + path pattern) with a chosen status N times (409, 429, 500 ...),
 *    with a Kubernetes Status body and optionally Retry-After, without forwarding them;
 *  - cut a streaming response (logs, watch) after N bytes, mid-line, as a server or network drop would;
 *  - cut every open stream at once.
 *
 * The action reaches it through a kubeconfig whose server is `http://127.0.0.1:<port>` with
 * `insecure-skip-tls-verify: true` (client-node 2.x wants that for a plain-HTTP server). A bearer
 * token in the request passes through, so the API server sees the caller's own identity; a request
 * without one is sent with the admin's client certificate.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { dump, load } from 'js-yaml';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** ms since the proxy started. */
  readonly atMs: number;
  status: number;
  /** Answered by a fault rule (never reached the API server). */
  readonly injected: boolean;
  /** Watch (`watch=1|true`) or follow (`follow=true`) stream. */
  readonly stream: boolean;
  bytes: number;
  /** Cut by the proxy. */
  cut: boolean;
  /** The request body (its first 64 kB). */
  body: string;
  endMs: number | undefined;
}

export interface StatusRule {
  readonly method?: string;
  readonly path: RegExp;
  /** Tested against the query string (without '?'). */
  readonly query?: RegExp;
  readonly status: number;
  /** How many matching requests get this answer; afterwards they pass. */
  readonly times: number;
  /** Let this many matching requests through before answering (e.g. fail the 2nd apply). */
  readonly skip?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly retryAfter?: string;
}

export interface CutRule {
  readonly method?: string;
  readonly path: RegExp;
  readonly query?: RegExp;
  /** Cut the response after this many body bytes (the last chunk is split there). */
  readonly afterBytes: number;
  readonly times: number;
  readonly skip?: number;
}

interface Armed<R> {
  readonly rule: R;
  seen: number;
  hits: number;
}

const REASONS: Record<number, string> = { 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout', 403: 'Forbidden', 404: 'NotFound' };

export interface ProxyOptions {
  /** The API server, e.g. https://127.0.0.1:16443 */
  readonly upstream: string;
  /** The admin kubeconfig of that cluster (its CA, and its client certificate for requests without a token). */
  readonly adminKubeconfig: string;
}

interface KubeconfigDoc {
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  'current-context'?: string;
}

function userOf(doc: KubeconfigDoc): Record<string, unknown> {
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  return doc.users?.find((u) => u.name === ctx?.context.user)?.user ?? {};
}

function clusterOf(doc: KubeconfigDoc): Record<string, unknown> {
  const ctx = doc.contexts?.find((c) => c.name === doc['current-context']) ?? doc.contexts?.[0];
  return doc.clusters?.find((c) => c.name === ctx?.context.cluster)?.cluster ?? {};
}

function pem(v: unknown, file: unknown): Buffer | undefined {
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  if (typeof file === 'string') return readFileSync(file);
  return undefined;
}

export class ApiProxy {
  readonly requests: RecordedRequest[] = [];
  private statusRules: Armed<StatusRule>[] = [];
  private cutRules: Armed<CutRule>[] = [];
  private readonly open = new Set<{ rec: RecordedRequest; cut: () => void }>();
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  private readonly t0 = Date.now();
  private readonly upstream: URL;
  private readonly certAgent: https.Agent;
  private readonly tokenAgent: https.Agent;
  url = '';

  constructor(o: ProxyOptions) {
    this.upstream = new URL(o.upstream);
    const doc = load(readFileSync(o.adminKubeconfig, 'utf8')) as KubeconfigDoc;
    const cluster = clusterOf(doc);
    const user = userOf(doc);
    const ca = pem(cluster['certificate-authority-data'], cluster['certificate-authority']);
    const cert = pem(user['client-certificate-data'], user['client-certificate']);
    const key = pem(user['client-key-data'], user['client-key']);
    this.certAgent = new https.Agent({ keepAlive: true, maxSockets: 64, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
    this.tokenAgent = new https.Agent({ keepAlive: true, maxSockets: 64, ...(ca ? { ca } : {}) });
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.certAgent.destroy();
    this.tokenAgent.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Answers matching requests with `status` (not forwarded). Returns a counter of the answers given. */
  failWith(rule: StatusRule): { readonly hits: () => number } {
    const armed: Armed<StatusRule> = { rule, seen: 0, hits: 0 };
    this.statusRules.push(armed);
    return { hits: () => armed.hits };
  }

  /** Cuts matching streaming responses after `afterBytes` bytes. */
  cutAfter(rule: CutRule): { readonly hits: () => number } {
    const armed: Armed<CutRule> = { rule, seen: 0, hits: 0 };
    this.cutRules.push(armed);
    return { hits: () => armed.hits };
  }

  clearRules(): void {
    this.statusRules = [];
    this.cutRules = [];
  }

  /** Cuts every open response that matches (default: all streams) now; returns how many. */
  cutOpen(filter: (r: RecordedRequest) => boolean = (r) => r.stream): number {
    let n = 0;
    for (const o of [...this.open]) {
      if (filter(o.rec)) {
        o.cut();
        n++;
      }
    }
    return n;
  }

  /** A kubeconfig for this proxy with the token (or, without one, no credentials: the proxy adds the admin's certificate). */
  kubeconfig(token?: string): string {
    return dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'proxy', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'proxy-user', user: token ? { token } : {} }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy-user' } }],
      'current-context': 'proxy',
    });
  }

  private match<R extends { method?: string; path: RegExp; query?: RegExp; skip?: number; times: number }>(rules: Armed<R>[], method: string, path: string, query: string): Armed<R> | undefined {
    for (const a of rules) {
      const r = a.rule;
      if (r.method && r.method !== method) continue;
      if (!r.path.test(path)) continue;
      if (r.query && !r.query.test(query)) continue;
      a.seen++;
      if (a.seen <= (r.skip ?? 0)) continue;
      if (a.hits >= r.times) continue;
      a.hits++;
      return a;
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const method = req.method ?? 'GET';
    const qs = url.search.replace(/^\?/, '');
    const stream = /(^|&)(watch=(1|true)|follow=true)(&|$)/.test(qs);
    const rec: RecordedRequest = { method, path: url.pathname, query: url.searchParams, atMs: Date.now() - this.t0, status: 0, injected: false, stream, bytes: 0, cut: false, body: '', endMs: undefined };
    this.requests.push(rec);
    req.on('data', (c: Buffer) => {
      if (rec.body.length < 65_536) rec.body += c.toString('utf8');
    });

    const fault = this.match(this.statusRules, method, url.pathname, qs);
    if (fault) {
      const r = fault.rule;
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: r.message ?? `injected by the fault proxy: ${r.status} for ${method} ${url.pathname}`,
        reason: r.reason ?? REASONS[r.status] ?? 'InternalError',
        code: r.status,
      });
      rec.status = r.status;
      (rec as { injected: boolean }).injected = true;
      req.resume();
      res.writeHead(r.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(r.retryAfter ? { 'Retry-After': r.retryAfter } : {}) });
      res.end(body);
      rec.endMs = Date.now() - this.t0;
      return;
    }
    const cut = this.match(this.cutRules, method, url.pathname, qs);

    const headers = { ...req.headers, host: this.upstream.host };
    delete headers.connection;
    const agent = headers.authorization ? this.tokenAgent : this.certAgent;
    const up = https.request({ protocol: 'https:', hostname: this.upstream.hostname, port: this.upstream.port, method, path: req.url, headers, agent }, (ures) => {
      rec.status = ures.statusCode ?? 0;
      const h = { ...ures.headers };
      delete h.connection;
      res.writeHead(ures.statusCode ?? 502, h);
      let done = false;
      const entry = {
        rec,
        cut: (): void => {
          if (done) return;
          done = true;
          rec.cut = true;
          rec.endMs = Date.now() - this.t0;
          this.open.delete(entry);
          ures.destroy();
          res.destroy(); // the client sees the connection reset mid-response
        },
      };
      this.open.add(entry);
      let cutting = false;
      ures.on('data', (chunk: Buffer) => {
        if (done || cutting) return;
        if (cut && rec.bytes + chunk.length >= cut.rule.afterBytes) {
          cutting = true;
          const keep = Math.max(0, cut.rule.afterBytes - rec.bytes);
          rec.bytes += keep;
          ures.pause(); // nothing more goes out; the cut follows once the kept bytes are written
          if (keep) res.write(chunk.subarray(0, keep), () => entry.cut());
          else entry.cut();
          return;
        }
        rec.bytes += chunk.length;
        res.write(chunk);
      });
      ures.on('end', () => {
        if (done) return;
        done = true;
        this.open.delete(entry);
        rec.endMs = Date.now() - this.t0;
        res.end();
      });
      ures.on('error', () => entry.cut());
      res.on('close', () => {
        if (!done) {
          // the client went away first
          done = true;
          this.open.delete(entry);
          rec.endMs = Date.now() - this.t0;
          ures.destroy();
        }
      });
    });
    up.on('error', (e) => {
      rec.status = 502;
      rec.endMs = Date.now() - this.t0;
      if (!res.headersSent) {
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`proxy: ${e.message}`);
      } else res.destroy();
    });
    req.pipe(up);
  }
}

/** The resource a request is about, kubectl style: `deployments`, `pods/log`, `namespaces` ... */
export function resourceOf(path: string): { group: string; resource: string; namespace: string | undefined; name: string | undefined } {
  const parts = path.split('/').filter(Boolean);
  let i = 0;
  let group = '';
  if (parts[0] === 'api') i = 2;
  else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    i = 3;
  } else return { group: '', resource: path, namespace: undefined, name: undefined };
  if (parts.length <= i) return { group, resource: '(discovery)', namespace: undefined, name: undefined };
  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const resource = parts[i] ?? '';
  const name = parts[i + 1];
  const sub = parts[i + 2];
  return { group, resource: sub ? `${resource}/${sub}` : resource, namespace: namespace ?? (resource === 'namespaces' ? name : undefined), name };
}
