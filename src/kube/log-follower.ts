import type { IncomingMessage } from 'node:http';
import { sleep } from '../clock.js';
import { KubeApiError, isRetryable } from './errors.js';
import type { Kube, Query } from './http.js';
import { LineSplitter, LogCursor } from './log-resume.js';
import type { Pod } from './types.js';

/** What the follower needs to know about its container, from a pod watch (see `podContainerView`). */
export type ContainerRunState = 'waiting' | 'running' | 'terminated' | 'gone';

export interface ContainerView {
  readonly state: ContainerRunState;
  readonly restartCount: number;
}

/** A live view of one container, fed by an informer; `onChange` fires after every pod update. */
export interface ContainerWatch {
  current(): ContainerView;
  onChange(fn: () => void): () => void;
}

/** Pure: the state of a container in a pod (undefined pod: deleted). */
export function podContainerView(pod: Pod | undefined, container: string): ContainerView {
  if (!pod) return { state: 'gone', restartCount: 0 };
  const cs = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.name === container);
  const restartCount = cs?.restartCount ?? 0;
  if (cs?.state?.running) return { state: 'running', restartCount };
  if (cs?.state?.terminated) return { state: 'terminated', restartCount };
  // A finished pod whose status lost the container state still has nothing more to say.
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { state: 'terminated', restartCount };
  return { state: 'waiting', restartCount };
}

export interface FollowOptions {
  readonly kube: Kube;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly watch: ContainerWatch;
  /** Whole lines, timestamps removed, in order; called once per received chunk. */
  readonly onLines: (lines: readonly string[]) => void;
  /** Something the user should know (logs unavailable, resumed after a drop). */
  readonly onNote?: (text: string) => void;
  /** Stops at once (cancellation): no final read. */
  readonly signal: AbortSignal;
  /** With no byte for this long while the container runs, the stream is taken as dead and resumed. */
  readonly idleMs?: number;
}

export interface FollowResult {
  /** Lines emitted. */
  readonly lines: number;
  /** Requests after the first (drops, server ends, restarts). */
  readonly resumes: number;
  /** The container started, so there was a log to read. */
  readonly started: boolean;
  /** Why no log could be read, if none could. */
  readonly unavailable: string | undefined;
}

type StreamEnd = 'ended' | 'dropped' | 'stopped';

const DEFAULT_IDLE_MS = 5 * 60_000;

/**
 * Follows one container's log until the container has terminated (then reads the tail once
 * more without follow: kwok's follow never ends, and a real kubelet's end may race the pod
 * status) or the signal aborts. Resumes after drops with `sinceTime` and drops repeats
 * (LogCursor). Waits for the container to start. Never throws for stream trouble: the result
 * says what happened. Rejects only with the signal's reason.
 */
export async function followContainerLog(o: FollowOptions): Promise<FollowResult> {
  const cursor = new LogCursor();
  let requests = 0;
  let started = false;
  let unavailable: string | undefined;
  let noted = false;
  let failures = 0;
  let restarts = o.watch.current().restartCount;
  const note = (text: string): void => {
    if (!noted) o.onNote?.(text);
    noted = true;
  };

  /** One request; lines go out as they come. */
  const read = async (follow: boolean, stop: AbortSignal, previous = false): Promise<StreamEnd> => {
    requests++;
    const sinceTime = cursor.request();
    const query: Query = { container: o.container, timestamps: true, ...(follow ? { follow: true } : {}), ...(previous ? { previous: true } : {}), ...(sinceTime ? { sinceTime } : {}) };
    const res = await o.kube.open({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods/${encodeURIComponent(o.pod)}/log`,
      query,
      signal: stop,
      retry: true,
    });
    let received = false;
    const { end, failure } = await readLines(res, stop, follow ? (o.idleMs ?? DEFAULT_IDLE_MS) : 120_000, (lines) => {
      received = true;
      const out: string[] = [];
      for (const l of lines) {
        const t = cursor.accept(l);
        if (t !== undefined) out.push(t);
      }
      if (out.length) o.onLines(out);
    });
    if (failure !== undefined) throw new SinkError(failure);
    if (received) failures = 0;
    return end;
  };

  /** Resolves at the next pod change, or after `ms` when given. */
  const nextChange = (ms?: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        off();
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        off();
        clearTimeout(timer);
        reject(o.signal.reason);
      };
      const off = o.watch.onChange(done);
      if (ms !== undefined) timer = setTimeout(done, ms);
      if (o.signal.aborted) onAbort();
      else o.signal.addEventListener('abort', onAbort, { once: true });
    });

  /** A non-follow read of what is left, a few attempts against drops. */
  const finalRead = async (previous = false): Promise<void> => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        if ((await read(false, o.signal, previous)) === 'ended') return;
      } catch (err) {
        if (o.signal.aborted) throw o.signal.reason;
        if (err instanceof SinkError) throw err.cause;
        if (!isRetryable(err) && !isStreamError(err)) {
          if (!previous && cursor.emitted === 0) unavailable = describe(err);
          return;
        }
      }
      await sleep(250 * attempt, o.signal);
    }
  };

  while (true) {
    if (o.signal.aborted) throw o.signal.reason;
    const view = o.watch.current();
    if (view.restartCount > restarts && started) {
      // The container restarted in place (restartPolicy OnFailure): the end of the previous
      // instance's log is only readable with previous=true.
      restarts = view.restartCount;
      await finalRead(true);
      continue;
    }
    restarts = Math.max(restarts, view.restartCount);
    if (view.state === 'waiting') {
      await nextChange();
      continue;
    }
    if (view.state === 'gone') {
      // Deleted: its log went with it.
      if (!requests) unavailable ??= 'the pod was deleted before its log could be read';
      break;
    }
    started = true;
    if (view.state === 'terminated') {
      await finalRead();
      break;
    }
    // Running: follow until the stream ends or the container stops running.
    const stop = new AbortController();
    const onParent = (): void => stop.abort(o.signal.reason);
    o.signal.addEventListener('abort', onParent, { once: true });
    const off = o.watch.onChange(() => {
      const v = o.watch.current();
      if (v.state !== 'running' || v.restartCount !== restarts) stop.abort(new Error('container stopped running'));
    });
    let end: StreamEnd | undefined;
    let error: unknown;
    try {
      end = await read(true, stop.signal);
    } catch (err) {
      error = err;
    } finally {
      off();
      o.signal.removeEventListener('abort', onParent);
    }
    if (o.signal.aborted) throw o.signal.reason;
    if (error instanceof SinkError) throw error.cause;
    if (stop.signal.aborted || end === 'stopped') continue; // the state changed: decided above
    if (error !== undefined) {
      if (error instanceof KubeApiError && error.status === 404) {
        unavailable = describe(error);
        break; // the pod is gone
      }
      if (error instanceof KubeApiError && (error.status === 400 || error.status === 403)) {
        // 400: "waiting to start" (the kubelet is ahead of the pod status we have) or no log
        // for this container; 403: no permission for pods/log. Both can only change with the pod.
        unavailable = describe(error);
        await nextChange();
        continue;
      }
      if (!isRetryable(error) && !isStreamError(error)) {
        unavailable = describe(error);
        note(`logs of ${o.pod}/${o.container} cannot be read: ${unavailable}`);
        await nextChange();
        continue;
      }
    }
    // The stream ended or dropped while the container still runs (API server restart, kubelet
    // log rotation, network, idle): resume from the last timestamp. When the end was the
    // container exiting, the pod update usually arrives first and the loop does the final read.
    // Right away when the stream had delivered lines (it worked: a drop, a rotation), else
    // with a growing pause (the server keeps failing, or the container has just exited).
    await nextChange(failures === 0 ? 0 : Math.min(250 * 2 ** Math.min(failures - 1, 5), 5000));
    failures++;
  }
  return { lines: cursor.emitted, resumes: Math.max(0, requests - 1), started, unavailable: cursor.emitted ? undefined : unavailable };
}

/** The consumer of the lines threw: not a stream problem, passed on as it is. */
class SinkError extends Error {
  constructor(override readonly cause: unknown) {
    super('log line consumer failed');
  }
}

function describe(err: unknown): string {
  if (err instanceof KubeApiError) return `${err.status} ${err.serverMessage}`;
  return err instanceof Error ? err.message : String(err);
}

function isStreamError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].includes(code);
}

/**
 * Reads a log response to its end. 'ended': the server closed it cleanly; 'dropped': reset,
 * error or idle; 'stopped': the signal aborted. Never rejects.
 */
function readLines(
  res: IncomingMessage,
  signal: AbortSignal,
  idleMs: number,
  onLines: (lines: string[]) => void,
): Promise<{ end: StreamEnd; failure: unknown }> {
  return new Promise((resolve) => {
    const splitter = new LineSplitter();
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    let failure: unknown;
    const deliver = (lines: string[]): boolean => {
      try {
        onLines(lines);
        return true;
      } catch (err) {
        failure = err;
        return false;
      }
    };
    // A log stream often comes as one HTTP chunk per line: the lines of every chunk one socket
    // read brought are gathered and delivered together (setImmediate runs after that I/O), so a
    // burst becomes one write to the workflow log instead of thousands.
    let pending: string[] = [];
    let scheduled: NodeJS.Immediate | undefined;
    /** The gathered lines, handed over once: nothing stays pending or scheduled. */
    const take = (): string[] => {
      clearImmediate(scheduled);
      scheduled = undefined;
      const lines = pending;
      pending = [];
      return lines;
    };
    const flush = (): boolean => {
      const lines = take();
      return !lines.length || deliver(lines);
    };
    const done = (how: StreamEnd): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      res.removeListener('data', onData);
      // Lines already received are whole: delivered however the stream ends (a resume skips them).
      if (failure === undefined) flush();
      else take();
      if (how === 'ended' && failure === undefined) {
        const rest = splitter.flush();
        if (rest !== undefined) deliver([rest]);
      } else {
        splitter.discard(); // an unfinished line comes again with the resumed request
        res.destroy();
      }
      res.on('error', () => undefined); // late errors after destroy must not crash the process
      resolve({ end: failure === undefined ? how : 'stopped', failure });
    };
    const onAbort = (): void => done('stopped');
    const onData = (chunk: string): void => {
      timer?.refresh();
      const lines = splitter.push(chunk);
      if (!lines.length) return;
      for (const l of lines) pending.push(l);
      scheduled ??= setImmediate(() => {
        if (!flush()) done('stopped');
      });
    };
    if (signal.aborted) return done('stopped');
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => done('dropped'), idleMs);
    res.setEncoding('utf8');
    res.on('data', onData);
    res.on('end', () => done(res.complete ? 'ended' : 'dropped'));
    res.on('aborted', () => done('dropped'));
    res.on('error', () => done(signal.aborted ? 'stopped' : 'dropped'));
    res.on('close', () => done(signal.aborted ? 'stopped' : res.complete ? 'ended' : 'dropped'));
  });
}
