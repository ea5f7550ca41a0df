/**
 * `retryBackoff`: resubscribe to a failed source after a capped exponential delay with jitter,
 * honouring a server's Retry-After (RFC 9110 §10.2.3). Shaped like RxJS 7 `retry` (one config
 * object, time only through `scheduler`); the policy is plain functions of (error, count) like
 * TanStack Query's retryer.
 */
import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

/**
 * Configuration of {@link retryBackoff}. Delays in milliseconds.
 *
 * @example retryBackoff({ initialDelay: 1000, maxDelay: 60_000, factor: 2, jitter: 0.5, shouldRetry: isTransient })
 */
export interface RetryBackoffConfig {
  /** Delay before the first retry (before jitter). */
  readonly initialDelay: number;
  /** Upper bound of every delay, also of a Retry-After. */
  readonly maxDelay: number;
  /** Growth per retry, e.g. 2. */
  readonly factor: number;
  /** 0: no jitter; 1: full jitter. The delay is drawn uniformly from [d·(1−jitter), d]. */
  readonly jitter: number;
  /** Give up after this many retries (default: never). */
  readonly maxRetries?: number;
  /** Whether `error` (the `count`-th consecutive failure, from 1) is worth retrying. Default: yes. */
  readonly shouldRetry?: (error: unknown, count: number) => boolean;
  /** A delay the server asked for (Retry-After), used instead of the backoff when larger. */
  readonly retryAfter?: (error: unknown) => number | undefined;
  /** Resets the failure count after each successful emission (default true, like `retry`). */
  readonly resetOnSuccess?: boolean;
  readonly scheduler?: SchedulerLike;
  /** Source of randomness in [0, 1) for the jitter (default Math.random). */
  readonly random?: () => number;
  /** Called before each wait, e.g. to trace the retry. */
  readonly onRetry?: (error: unknown, count: number, delay: number) => void;
}

/**
 * The delay before retry number `count` (from 1): `min(maxDelay, initialDelay·factor^(count−1))`,
 * reduced by up to `jitter` of itself, and never below a Retry-After (itself capped by maxDelay).
 *
 * @example
 * ```ts
 * backoffDelay({ initialDelay: 1000, maxDelay: 60_000, factor: 2, jitter: 0 }, 3) // 4000
 * ```
 */
export function backoffDelay(
  config: Pick<RetryBackoffConfig, 'initialDelay' | 'maxDelay' | 'factor' | 'jitter'>,
  count: number,
  random: () => number = Math.random,
  retryAfter?: number,
): number {
  const exp = config.initialDelay * config.factor ** Math.max(0, count - 1);
  const capped = Math.min(config.maxDelay, Number.isFinite(exp) ? exp : config.maxDelay);
  const jitter = Math.min(1, Math.max(0, config.jitter));
  const jittered = Math.round(capped * (1 - jitter * random()));
  if (retryAfter === undefined || !(retryAfter >= 0)) return jittered;
  return Math.max(jittered, Math.min(config.maxDelay, retryAfter));
}

/**
 * Retries the source on error with capped exponential backoff and jitter.
 *
 * @example
 * ```ts
 * client.get('resource-lists').pipe(
 *   retryBackoff({ initialDelay: 1000, maxDelay: 60_000, factor: 2, jitter: 0.5,
 *                  shouldRetry: isTransient, retryAfter: retryAfterMs, scheduler }),
 * );
 * ```
 */
export function retryBackoff<T>(config: RetryBackoffConfig): MonoTypeOperatorFunction<T> {
  const {
    maxRetries = Number.POSITIVE_INFINITY,
    shouldRetry = () => true,
    retryAfter,
    resetOnSuccess = true,
    scheduler = asyncScheduler,
    random = Math.random,
    onRetry,
  } = config;
  return (source) =>
    new Observable<T>((subscriber) => {
      let count = 0;
      let inner: Subscription | null = null;
      let timer: Subscription | null = null;
      let closed = false;
      const subscribe = (): void => {
        inner = source.subscribe({
          next: (value) => {
            if (resetOnSuccess) count = 0;
            subscriber.next(value);
          },
          error: (error: unknown) => {
            count++;
            if (count > maxRetries || !shouldRetry(error, count)) {
              subscriber.error(error);
              return;
            }
            const delay = backoffDelay(config, count, random, retryAfter?.(error));
            onRetry?.(error, count, delay);
            timer = scheduler.schedule(() => {
              timer = null;
              if (!closed) subscribe();
            }, delay);
          },
          complete: () => subscriber.complete(),
        });
      };
      subscribe();
      return () => {
        closed = true;
        inner?.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
