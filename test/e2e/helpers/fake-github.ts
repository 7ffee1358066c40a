import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received, as the action sent it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
}

interface Deployment {
  id: number;
  environment: string;
  ref: string;
  sha: string;
  transient_environment?: boolean;
  production_environment?: boolean;
  payload?: unknown;
  description?: string;
  statuses: { id: number; state: string; environment_url?: string; description?: string; log_url?: string }[];
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  remaining: number;
}

/**
 * A local stand-in for the GitHub REST API, serving the endpoints the action uses (issue comments
 * listed, created, read and edited,
 * deployments and their statuses, pull requests) from memory and recording every request.
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly comments = new Map<number, Comment[]>();
  readonly deployments: Deployment[] = [];
  /** PR number -> state; unknown PRs answer 404. */
  readonly pulls = new Map<number, { state: 'open' | 'closed'; merged: boolean }>();
  private faults: Fault[] = [];
  private nextId = 1000;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** Answer `status` to the next `times` requests matching method and path. */
  fail(method: string, path: RegExp, status: number, times = Number.POSITIVE_INFINITY): void {
    this.faults.push({ method, path, status, remaining: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  reset(): void {
    this.requests.length = 0;
    this.comments.clear();
    this.deployments.length = 0;
    this.pulls.clear();
    this.faults = [];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: req.headers.authorization,
    });
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const fault = this.faults.find((f) => f.method === method && f.path.test(url.pathname) && f.remaining > 0);
    if (fault) {
      fault.remaining--;
      send(fault.status, { message: fault.status === 403 ? 'Resource not accessible by integration' : 'fault injected' });
      return;
    }
    const b = (body ?? {}) as Record<string, unknown>;
    const now = new Date().toISOString();
    let m: RegExpExecArray | null;
    const p = url.pathname;
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(p))) {
      const n = Number(m[1]);
      const list = this.comments.get(n) ?? [];
      if (method === 'GET') return send(200, list);
      if (method === 'POST') {
        const c: Comment = { id: this.nextId++, body: String(b.body ?? ''), user: { login: 'github-actions[bot]', type: 'Bot' }, created_at: now, updated_at: now };
        this.comments.set(n, [...list, c]);
        return send(201, c);
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(p)) && (method === 'PATCH' || method === 'GET')) {
      const id = Number(m[1]);
      for (const list of this.comments.values()) {
        const c = list.find((x) => x.id === id);
        if (c && method === 'GET') return send(200, c);
        if (c) {
          c.body = String(b.body ?? '');
          c.updated_at = now;
          return send(200, c);
        }
      }
      return send(404, { message: 'Not Found' });
    }
    if (/^\/repos\/[^/]+\/[^/]+\/deployments$/.test(p)) {
      if (method === 'POST') {
        const d: Deployment = {
          id: this.nextId++,
          environment: String(b.environment ?? ''),
          ref: String(b.ref ?? ''),
          sha: String(b.ref ?? ''),
          transient_environment: b.transient_environment as boolean | undefined,
          production_environment: b.production_environment as boolean | undefined,
          payload: b.payload,
          description: b.description as string | undefined,
          statuses: [],
        };
        this.deployments.push(d);
        return send(201, { ...d, statuses: undefined });
      }
      if (method === 'GET') {
        const env = url.searchParams.get('environment');
        return send(200, this.deployments.filter((d) => !env || d.environment === env).reverse().map((d) => ({ ...d, statuses: undefined })));
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(p))) {
      const d = this.deployments.find((x) => x.id === Number(m?.[1]));
      if (!d) return send(404, { message: 'Not Found' });
      if (method === 'GET') return send(200, [...d.statuses].reverse());
      if (method === 'POST') {
        const s = { id: this.nextId++, state: String(b.state ?? ''), environment_url: b.environment_url as string | undefined, description: b.description as string | undefined, log_url: b.log_url as string | undefined };
        d.statuses.push(s);
        return send(201, s);
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(p)) && method === 'GET') {
      const pr = this.pulls.get(Number(m[1]));
      if (!pr) return send(404, { message: 'Not Found' });
      return send(200, { number: Number(m[1]), state: pr.state, merged: pr.merged });
    }
    send(404, { message: `fake GitHub: no route for ${method} ${p}` });
  }
}
