/**
 * Every number of the xcap-diff subscription that a SIP peer can influence, bounded: the
 * Expires rxcap asks for and refreshes by, and any timer delay. JavaScript timers hold at most
 * 2^31−1 ms; Node fires a longer one after 1 ms, so an unbounded `retry-after` or `Min-Expires`
 * from a peer turned into a request storm (issue "SIP peers: every timer bounded").
 */

/**
 * The longest Expires rxcap asks for or schedules by, in seconds (one day). A 423 whose
 * Min-Expires is larger is refused like a failure: no sane xcap-diff server needs more, and
 * the refresh timer of a larger value would pass the 2^31−1 ms every JavaScript timer is
 * limited to (Node fires such a timer after 1 ms: a refresh storm).
 */
export const MAX_SUBSCRIBE_EXPIRES = 86_400;

/** The longest delay a JavaScript timer can hold (2^31−1 ms); longer ones fire at once. */
export const TIMER_LIMIT = 2_147_483_647;

/**
 * A subscription interval as the machine uses it: a whole number of seconds in
 * [0, {@link MAX_SUBSCRIBE_EXPIRES}] (NaN: rxcap's default of 600 s).
 *
 * @example boundedExpires(3_000_000) // 86400
 */
export function boundedExpires(seconds: number): number {
  if (!Number.isFinite(seconds)) return Number.isNaN(seconds) ? 600 : MAX_SUBSCRIBE_EXPIRES;
  return Math.min(MAX_SUBSCRIBE_EXPIRES, Math.max(0, Math.floor(seconds)));
}

/**
 * When to refresh a subscription granted for `expires` seconds: at 90 % of it, so that the
 * refresh transaction (and a possible 423 round) ends before expiry.
 *
 * @example refreshDelay(600) // 540000
 */
export function refreshDelay(expires: number): number {
  return Math.max(1000, Math.floor(boundedExpires(expires) * 900));
}

/**
 * The shortest grant (seconds) obeyed without limit. A 2xx or NOTIFY granting less is obeyed
 * for one refresh; while the grants stay that short, each further refresh waits at least the
 * next backoff step, so a peer answering `Expires: 0` or `expires=1` cannot hold rxcap in a
 * refresh every second (regression test "a peer granting 1 s again and again is refreshed
 * with backoff, not every second"). No xcap-diff server shortens a subscription below a
 * minute unless misconfigured; a shorter subscription then lapses between refreshes and is
 * renewed with the resubscription backoff (polling meanwhile).
 */
export const SHORT_GRANT_SECONDS = 60;

/**
 * When to refresh after a grant of `granted` seconds, when `shortRefreshes` refreshes in a row
 * were already sent on short grants (see {@link SHORT_GRANT_SECONDS}): at 90 % of the grant,
 * and after repeated short grants no sooner than `backoff(shortRefreshes)`.
 *
 * @example grantRefreshDelay(1, 3, (n) => 5000 * 2 ** (n - 1)) // 20000
 */
export function grantRefreshDelay(
  granted: number,
  shortRefreshes: number,
  backoff: (attempt: number) => number,
): number {
  const obeyed = refreshDelay(granted);
  if (boundedExpires(granted) >= SHORT_GRANT_SECONDS || shortRefreshes === 0) return obeyed;
  return boundedDelay(Math.max(obeyed, backoff(shortRefreshes)));
}

/**
 * A delay as a timer can hold it: a number in [0, {@link TIMER_LIMIT}] (NaN: 0).
 *
 * @example boundedDelay(315_360_000_000) // 2147483647
 */
export function boundedDelay(ms: number): number {
  return ms >= 0 ? Math.min(TIMER_LIMIT, ms) : 0;
}
