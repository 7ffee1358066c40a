import type { Informer } from './informer.js';
import type { KubeObject } from './types.js';

export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${Math.round(ms / 1000)} s`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs the informers and calls `decide` after they have all listed and after every change;
 * resolves with the first answer that is not undefined. Rejects with TimeoutError at the
 * deadline, with the parent's reason when cancelled, or with an informer's failure.
 */
export async function waitUntil<R>(
  informers: readonly Informer<KubeObject>[],
  decide: () => R | undefined,
  o: { signal: AbortSignal; timeoutMs: number },
): Promise<R> {
  const stop = new AbortController();
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = AbortSignal.any([stop.signal, o.signal, timeout]);
  for (const inf of informers) void inf.run(signal);
  try {
    return await new Promise<R>((resolve, reject) => {
      const check = (): void => {
        const failed = informers.find((i) => i.failure);
        if (failed) return reject(failed.failure);
        if (!informers.every((i) => i.synced)) return;
        let r: R | undefined;
        try {
          r = decide();
        } catch (err) {
          return reject(err);
        }
        if (r !== undefined) resolve(r);
      };
      const offs = informers.map((i) => i.onChange(check));
      const onAbort = (): void => {
        offs.forEach((off) => off());
        if (o.signal.aborted) reject(o.signal.reason);
        else if (timeout.aborted) reject(new TimeoutError(o.timeoutMs));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      check();
    });
  } finally {
    stop.abort();
  }
}
