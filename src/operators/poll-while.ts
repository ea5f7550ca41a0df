/**
 * `pollWhile`: the polling fallback while the xcap-diff subscription is down (every
 * 2 minutes by default, like sipsimple's XCAPManager).
 */
import {
  asyncScheduler,
  distinctUntilChanged,
  EMPTY,
  interval,
  type OperatorFunction,
  type SchedulerLike,
  switchMap,
} from 'rxjs';

/**
 * Configuration of {@link pollWhile}.
 *
 * @example pollWhile({ period: 120_000, scheduler })
 */
export interface PollWhileConfig {
  /** Period in ms between ticks (the manager uses 120000). */
  readonly period: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * Maps a stream of "polling needed?" flags to ticks: while the latest flag is `true`, emits a
 * tick (0, 1, 2...) every `period` ms, the first one `period` after the flag turned true;
 * a `false` stops the ticks, repeated flags do not restart the period.
 *
 * @example
 * ```ts
 * diffActive$.pipe(map((active) => !active), pollWhile({ period: 120_000, scheduler }))
 *   .subscribe(() => fetchAll());
 * ```
 */
export function pollWhile(config: PollWhileConfig): OperatorFunction<boolean, number> {
  const scheduler = config.scheduler ?? asyncScheduler;
  return (flags$) =>
    flags$.pipe(
      distinctUntilChanged(),
      switchMap((needed) => (needed ? interval(config.period, scheduler) : EMPTY)),
    );
}
