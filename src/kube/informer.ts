import type { IncomingMessage } from 'node:http';
import { sleep } from '../clock.js';
import { KubeApiError, isGone, isRetryable } from './errors.js';
import type { Kube, Query } from './http.js';
import type { KubeObject, List } from './types.js';

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string; reason?: string };
}

/** The server closes each watch after this long; the informer then watches again from where it was. */
const WATCH_SECONDS = 50;
/** With no byte at all for this long, the connection is taken as dead and re-opened. */
const IDLE_MS = (WATCH_SECONDS + 25) * 1000;

export const key = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * A local copy of one collection, kept current by list + watch: re-watched from the last
 * resourceVersion when the server ends a watch or the connection drops, re-listed on 410 Gone.
 * No polling: after the first list every change arrives as a watch event.
 */
export class Informer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  synced = false;
  private listeners = new Set<() => void>();
  private resourceVersion = '';
  private firstSync: Promise<void>;
  private resolveSync!: () => void;
  private rejectSync!: (e: unknown) => void;
  /** Why the informer stopped, if it did (the waits surface this). */
  failure: unknown;

  constructor(
    private readonly kube: Kube,
    readonly path: string,
    private readonly query: Query = {},
  ) {
    this.firstSync = new Promise((res, rej) => {
      this.resolveSync = res;
      this.rejectSync = rej;
    });
    this.firstSync.catch(() => undefined);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Runs until the signal aborts; errors that cannot be retried end it with `failure` set. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    try {
      await this.list(signal);
      while (!signal.aborted) {
        try {
          await this.watch(signal);
          failures = 0;
        } catch (err) {
          if (signal.aborted) break;
          if (isGone(err)) {
            await this.list(signal);
            continue;
          }
          if (!isRetryable(err) && !(err instanceof IdleError) && !isStreamError(err)) throw err;
          failures++;
          await sleep(Math.min(200 * 2 ** Math.min(failures, 6), 5000), signal);
          if (failures > 3) await this.list(signal); // a long outage: start again from a fresh list
        }
      }
    } catch (err) {
      if (!signal.aborted) {
        this.failure = err;
        this.rejectSync(err);
        this.notify();
      }
    }
  }

  private async list(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.kube.request<List<T>>({
        method: 'GET',
        path: this.path,
        query: { ...this.query, limit: 500, ...(cont ? { continue: cont } : {}) },
        signal,
      });
      for (const item of page.items) fresh.set(key(item), item);
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.items.clear();
    for (const [k, v] of fresh) this.items.set(k, v);
    this.resourceVersion = rv;
    if (!this.synced) {
      this.synced = true;
      this.resolveSync();
    }
    this.notify();
  }

  private async watch(signal: AbortSignal): Promise<void> {
    const res = await this.kube.open({
      method: 'GET',
      path: this.path,
      query: {
        ...this.query,
        watch: 1,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_SECONDS,
      },
      signal,
      retry: true,
    });
    await readEvents(res, IDLE_MS, signal, (ev) => {
      if (ev.type === 'ERROR') {
        const code = ev.object.code ?? 500;
        throw new KubeApiError('WATCH', this.path, code, JSON.stringify(ev.object));
      }
      const rv = ev.object.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (ev.type === 'BOOKMARK') return;
      if (ev.type === 'DELETED') this.items.delete(key(ev.object));
      else this.items.set(key(ev.object), ev.object as T);
      this.notify();
    });
  }
}

class IdleError extends Error {}

function isStreamError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'EPIPE', 'ECONNREFUSED'].includes(code) || (err as Error)?.message === 'aborted';
}

/** Reads newline-delimited JSON watch events until the server ends the response. */
function readEvents(res: IncomingMessage, idleMs: number, signal: AbortSignal, onEvent: (e: WatchEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (err?: unknown): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      res.removeAllListeners('data');
      if (err) {
        res.destroy();
        reject(err);
      } else resolve();
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => done(new IdleError('watch idle')), idleMs);
    };
    const onAbort = (): void => done(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    arm();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      arm();
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        try {
          onEvent(JSON.parse(line) as WatchEvent);
        } catch (err) {
          done(err);
          return;
        }
      }
    });
    res.on('end', () => done());
    res.on('error', (e) => done(e));
    res.on('aborted', () => done(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  });
}
