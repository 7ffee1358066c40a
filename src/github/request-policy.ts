import type { GitHub } from './client.js';

/**
 * Bounds on every GitHub REST call, so that GitHub can never hang the step: a timeout per
 * attempt, a few retries of idempotent requests, and errors that say what went wrong in one line.
 */

export interface RequestPolicy {
  /** Budget of one attempt, from sending to the last byte of the answer. */
  readonly timeoutMs: number;
  /** Extra attempts of idempotent requests (GET, HEAD, PATCH, PUT, DELETE) after a lost connection, a timeout, 429 or 5xx. */
  readonly retries: number;
  /** Wait before the first retry; doubled for each further one. */
  readonly backoffMs: number;
}

export const DEFAULT_REQUEST_POLICY: RequestPolicy = { timeoutMs: 10_000, retries: 2, backoffMs: 1_000 };

/** The longest Retry-After we honour; a longer one ends the retries. */
const MAX_RETRY_AFTER_MS = 5_000;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PATCH', 'PUT', 'DELETE']);

/** GitHub did not answer within the policy's timeout (or the connection was lost). */
export class GitHubUnreachableError extends Error {
  readonly status = undefined;
  constructor(message: string) {
    super(message);
    this.name = 'GitHubUnreachableError';
  }
}

/** Pure: the HTTP status of an Octokit error, if it carries one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/** Pure: whether an attempt that ended with `status` (undefined: no answer at all) may be sent again. */
export function retryable(method: string, status: number | undefined): boolean {
  if (!IDEMPOTENT.has(method.toUpperCase())) return false;
  return status === undefined || status === 429 || status >= 500;
}

function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { response?: { headers?: Record<string, string | number | undefined> } } | null)?.response?.headers;
  const v = headers?.['retry-after'];
  if (v === undefined) return undefined;
  const s = Number(v);
  return Number.isFinite(s) ? s * 1000 : undefined;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Wraps every request of an Octokit instance: each attempt gets an AbortSignal that fires after
 * `timeoutMs` (combined with a signal the caller passed as `request.signal`); idempotent requests
 * are retried with backoff. A POST is never sent twice: a lost answer could mean it was done.
 */
export function applyRequestPolicy(octokit: GitHub, policy: RequestPolicy = DEFAULT_REQUEST_POLICY): void {
  octokit.hook.wrap('request', async (request, options) => {
    const method = String(options.method ?? 'GET').toUpperCase();
    const caller = options.request?.signal;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
      try {
        // In place: before-after-hook hands every inner hook (auth among them) the same options
        // object it bound, and the auth hook ignores options passed along as a new object.
        options.request = { ...options.request, signal };
        return await request(options);
      } catch (err) {
        const timedOut = timeout.aborted && !caller?.aborted;
        const noAnswer = timedOut || caller?.aborted || (statusOf(err) === 500 && !(err as { response?: unknown }).response);
        const status = noAnswer ? undefined : statusOf(err);
        const wait = retryAfterMs(err) ?? policy.backoffMs * 2 ** attempt;
        if (caller?.aborted || attempt >= policy.retries || !retryable(method, status) || wait > Math.max(MAX_RETRY_AFTER_MS, policy.backoffMs * 4)) {
          if (noAnswer) {
            const why = timedOut ? `no answer within ${policy.timeoutMs < 1000 ? `${policy.timeoutMs} ms` : `${Math.round(policy.timeoutMs / 1000)} s`}` : caller?.aborted ? 'cancelled' : (err as Error).message;
            throw new GitHubUnreachableError(`GitHub did not answer ${method} ${pathOf(options.url)}: ${why}`);
          }
          throw err;
        }
        await sleep(wait, caller);
      }
    }
  });
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}
