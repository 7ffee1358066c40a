/**
 * A bound on how many async tasks run at once: `limit(fn)` starts fn when a slot is free and
 * resolves with its result. Tasks start in the order they were given.
 */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

export function limiter(max: number): Limit {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`limiter: max must be a whole number >= 1, got ${max}`);
  let active = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    if (active >= max) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        fn()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** Maps every item through fn with at most `max` calls in flight; results in input order. */
export function mapLimit<T, R>(items: readonly T[], max: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limit = limiter(max);
  return Promise.all(items.map((item, i) => limit(() => fn(item, i))));
}
