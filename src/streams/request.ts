/**
 * One traced, retried XCAP request: every attempt is reported to `ports.trace` (method, AUID,
 * status, ETag, size — never credentials or bodies) and transient failures (network, timeout,
 * 5xx, 429) are retried with capped exponential backoff and jitter, honouring Retry-After
 * (RFC 9110 §10.2.3).
 */
import { defer, type Observable, tap } from 'rxjs';
import { retryBackoff } from '../operators/retry-backoff.js';
import { statusOf, toXcapError } from './errors.js';
import type { PipelinePorts, TraceEntry } from './ports.js';

/**
 * What identifies a request in the trace.
 *
 * @example const info: RequestInfo = { method: 'PUT', auid: 'resource-lists', filename: 'index', size: xml.length };
 */
export interface RequestInfo {
  readonly method: TraceEntry['method'];
  readonly auid: string;
  readonly filename?: string;
  /** Size of the body sent, for PUT. */
  readonly size?: number;
}

/**
 * Runs `make()` (a cold client call) with tracing and transient-failure retries.
 *
 * @example
 * ```ts
 * request(ports, { method: 'GET', auid: 'resource-lists' }, () => http.get('resource-lists'))
 * ```
 */
export function request<T extends { readonly status: number; readonly etag: string | null }>(
  ports: PipelinePorts,
  info: RequestInfo,
  make: () => Observable<T>,
): Observable<T> {
  const base = {
    method: info.method,
    auid: info.auid,
    ...(info.filename !== undefined ? { filename: info.filename } : {}),
  };
  return defer(make).pipe(
    tap({
      next: (r) => {
        const body = (r as { body?: unknown }).body;
        const size = typeof body === 'string' ? body.length : (info.size ?? 0);
        const url = (r as { url?: unknown }).url;
        ports.trace?.({
          ...base,
          ...(typeof url === 'string' ? { url } : {}),
          status: r.status,
          etag: r.etag,
          size,
        });
      },
      error: (e: unknown) => {
        const code = (e as { code?: unknown } | null)?.code;
        const url = (e as { url?: unknown } | null)?.url;
        ports.trace?.({
          ...base,
          ...(typeof url === 'string' ? { url } : {}),
          status: statusOf(e) ?? null,
          etag: null,
          size: info.size ?? 0,
          error: typeof code === 'string' ? code : 'error',
        });
      },
    }),
    retryBackoff({
      ...ports.backoff,
      shouldRetry: (e) => ports.isTransient(e),
      retryAfter: (e) => ports.retryAfterMs(e),
      scheduler: ports.scheduler,
      random: ports.random,
      onRetry: (error, attempt, delay) =>
        ports.retrying?.({ error: toXcapError(error, 'fetch'), attempt, delay }),
    }),
  );
}
