import type { Informer } from './informer.js';
import type { KubeObject } from './types.js';
import { TimeoutError } from './wait.js';

export interface SharedWaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /**
   * When the answer may change without any event (a lease expiring at its renewTime +
   * duration): the epoch ms at which to ask `decide` again, or undefined. Asked after each check.
   */
  readonly recheckAt?: () => number | undefined;
}

/**
 * One informer, run once, shared by many waits: `waitUntil` for the case where a single list +
 * watch must serve a whole batch (a sweep of 200 namespaces is one watch, not 200). Each wait has
 * its own deadline; `decide` is asked after the first list and after every change.
 */
export class SharedInformer<T extends KubeObject> {
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private started = false;

  constructor(
    readonly informer: Informer<T>,
    parent: AbortSignal,
  ) {
    this.signal = AbortSignal.any([parent, this.stop.signal]);
  }

  /** Starts the list + watch (once) and resolves after the first list, or rejects at the deadline. */
  async start(timeoutMs: number): Promise<void> {
    if (!this.started) {
      this.started = true;
      void this.informer.run(this.signal);
    }
    await this.until(() => true, { timeoutMs });
  }

  get items(): ReadonlyMap<string, T> {
    return this.informer.items;
  }

  /** Resolves with decide's first answer that is not undefined; TimeoutError at the deadline. */
  until<R>(decide: () => R | undefined, o: SharedWaitOptions): Promise<R> {
    const inf = this.informer;
    const signals = [this.signal, ...(o.signal ? [o.signal] : [])];
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      let recheck: NodeJS.Timeout | undefined;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearTimeout(recheck);
        off();
        for (const s of signals) s.removeEventListener('abort', onAbort);
        fn();
      };
      const check = (): void => {
        if (settled) return;
        if (inf.failure) return finish(() => reject(inf.failure));
        if (!inf.synced) return;
        let r: R | undefined;
        try {
          r = decide();
        } catch (err) {
          return finish(() => reject(err));
        }
        if (r !== undefined) return finish(() => resolve(r as R));
        const at = o.recheckAt?.();
        clearTimeout(recheck);
        if (at !== undefined) recheck = setTimeout(check, Math.max(0, at - Date.now()) + 5);
      };
      const onAbort = (): void => {
        const aborted = signals.find((s) => s.aborted);
        finish(() => reject(aborted?.reason ?? new Error('aborted')));
      };
      const deadline = setTimeout(() => finish(() => reject(new TimeoutError(o.timeoutMs))), o.timeoutMs);
      const off = inf.onChange(check);
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
      if (signals.some((s) => s.aborted)) return onAbort();
      check();
    });
  }

  /** Stops the watch; waits still pending reject with the stop reason. */
  close(): void {
    this.stop.abort(new Error('the shared watch was closed'));
  }
}

