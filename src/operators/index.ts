/**
 * `rxcap/operators`: the RxJS operators the manager is built from, one per file, time only
 * through a `scheduler`.
 *
 * @example
 * ```ts
 * import { retryBackoff } from 'rxcap/operators';
 * request$.pipe(retryBackoff({ initialDelay: 1000, maxDelay: 60_000, shouldRetry: isTransient }));
 * ```
 *
 * @packageDocumentation
 */
export { type PollWhileConfig, pollWhile } from './poll-while.js';
export { backoffDelay, type RetryBackoffConfig, retryBackoff } from './retry-backoff.js';
