/**
 * The retry policy every loop that a peer can trigger backs off with (HTTP retries, the
 * xcap-diff resubscription, the store's journal rewrite).
 */
/**
 * Capped exponential backoff with jitter (see `retryBackoff`). Delays in ms.
 *
 * @example const policy: BackoffPolicy = { initialDelay: 1000, maxDelay: 300_000, factor: 2, jitter: 0.5 };
 */
export interface BackoffPolicy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  /** 0 = none, 1 = full jitter: the delay is drawn from [d·(1−jitter), d]. */
  readonly jitter: number;
}
