/** A non-2xx answer of the Kubernetes API, with the server's Status parsed. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly causes: readonly StatusCause[];
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly verb: string,
    readonly path: string,
    status: number,
    body: string,
    retryAfter?: string,
  ) {
    const parsed = parseStatus(body);
    const text = parsed.message || body.trim().slice(0, 300) || `HTTP ${status}`;
    super(`${verb} ${path}: ${status} ${parsed.reason || ''}${parsed.reason ? ': ' : ''}${text}`.replace(/\s+/g, ' '));
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = parsed.reason;
    this.causes = parsed.causes;
    this.serverMessage = text;
    const n = retryAfter === undefined ? Number.NaN : Number(retryAfter);
    this.retryAfterSeconds = Number.isFinite(n) ? n : undefined;
  }
  /** The server's own message, without verb and path. */
  readonly serverMessage: string;
}

/** The API server could not be reached (refused, reset, DNS, TLS). */
export class KubeNetworkError extends Error {
  constructor(
    readonly verb: string,
    readonly path: string,
    readonly code: string,
    detail: string,
  ) {
    super(`${verb} ${path}: cannot reach the API server (${code}${detail && detail !== code ? `: ${detail}` : ''})`);
    this.name = 'KubeNetworkError';
  }
}

export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

interface ParsedStatus {
  reason: string;
  message: string;
  causes: StatusCause[];
}

export function parseStatus(body: string): ParsedStatus {
  try {
    const s = JSON.parse(body) as { reason?: unknown; message?: unknown; details?: { causes?: unknown } };
    return {
      reason: typeof s.reason === 'string' ? s.reason : '',
      message: typeof s.message === 'string' ? s.message : '',
      causes: Array.isArray(s.details?.causes) ? (s.details.causes as StatusCause[]) : [],
    };
  } catch {
    return { reason: '', message: '', causes: [] };
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.status === 409;
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && e.status === 410;
export const isForbidden = (e: unknown): boolean => e instanceof KubeApiError && e.status === 403;

/** Whether a failed call may be sent again unchanged: throttling, server errors, lost connections. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof KubeNetworkError) return true;
  if (!(e instanceof KubeApiError)) return false;
  if (e.status === 429 || e.status === 502 || e.status === 503 || e.status === 504) return true;
  // 500 is retried except where the server says the request itself is wrong.
  return e.status === 500 && e.reason !== 'BadRequest';
}
