/**
 * `status$`'s value: the manager's context explained for a UI (connectivity with the last typed
 * error, failures in a row and the next retry, xcap-diff, pending edits, the last sync) plus a
 * one-line hint. A pure function of the actor's context: nothing here reads a clock.
 */
import { isCertificateFailure, isCorsRefusal } from '../client/errors.js';
import type { XcapError } from '../errors.js';
import type { XcapState } from '../streams/events.js';
import { xuiOf } from '../streams/settings.js';
import { pendingEntries } from './local-views.js';
import type { ManagerContext } from './machine-types.js';

/**
 * How the XCAP server is doing:
 * - `unknown`: not asked (stopped: `lastError` keeps the last failure), or the first request
 *   has not been answered yet;
 * - `reachable`: the last exchange succeeded;
 * - `unreachable`: the last attempt failed (`lastError`); it is retried (see `nextRetryAt`);
 * - `waiting-for-credentials`: the server refused the credentials (401/403): nothing is retried
 *   until new settings arrive;
 * - `missing-capabilities`: no XCAP root, no XCAP server at it, or it lacks an application
 *   rxcap needs: nothing is retried until new settings arrive;
 * - `waiting-for-settings`: the account stream failed or ended without a value.
 *
 * @example if (status.connectivity === 'waiting-for-credentials') showPasswordForm();
 */
export type XcapConnectivity =
  | 'unknown'
  | 'reachable'
  | 'unreachable'
  | 'waiting-for-credentials'
  | 'missing-capabilities'
  | 'waiting-for-settings';

/**
 * The xcap-diff subscription (RFC 5875): `off` (not running, or `xcap.xcapDiff: false`),
 * `connecting`, `active` (changes arrive at once, no polling) or `down` (failed or not offered
 * by the server: documents are polled every `pollPeriod` ms).
 *
 * @example if (status.xcapDiff.state === 'down') console.warn(status.xcapDiff.reason);
 */
export interface XcapDiffStatus {
  readonly state: 'off' | 'connecting' | 'active' | 'down';
  /** Why it is down, as the SIP side said (e.g. `transport: connect ECONNREFUSED ...`). */
  readonly reason: string | null;
  /** The polling period in force, ms (null while xcap-diff is active or nothing runs). */
  readonly pollPeriod: number | null;
  /**
   * Subscriptions that failed in a row and when the manager subscribes again (scheduler time),
   * when it schedules that itself; the SIP side's own resubscriptions are only in `reason`.
   */
  readonly failures: number;
  readonly nextRetryAt: number | null;
}

/**
 * The manager's state explained, one replaying value on `manager.status$`. Times are the
 * manager's scheduler's (`scheduler.now()`, epoch ms with the default scheduler).
 *
 * @example
 * ```ts
 * manager.status$.subscribe((s: XcapStatus) => {
 *   statusLine.text = s.hint;                     // "connection refused by 127.0.0.1:1"
 *   retryIn.text = s.nextRetryAt === null ? '' : `${Math.ceil((s.nextRetryAt - Date.now()) / 1000)} s`;
 *   badge.text = s.pending > 0 ? `${s.pending} changes not synced` : '';
 * });
 * ```
 */
export interface XcapStatus {
  /** The sync state (as on `state$`). */
  readonly state: XcapState;
  readonly connectivity: XcapConnectivity;
  /** The failure behind `connectivity` (null when there is none). */
  readonly lastError: XcapError | null;
  /** Failed attempts in a row, retries included (0 after a success). */
  readonly failures: number;
  /** When the next retry is due (scheduler time); null when none is scheduled. */
  readonly nextRetryAt: number | null;
  readonly xcapDiff: XcapDiffStatus;
  /** Edits journaled and not yet on the server: the length of `pending$`'s list. */
  readonly pending: number;
  /** When the manager last completed a sync (scheduler time); null: not since it was made. */
  readonly lastSyncAt: number | null;
  /** One line for a human: what is going on, or what to fix. */
  readonly hint: string;
}

const RUNNING: ReadonlySet<XcapState> = new Set(['initializing', 'fetching', 'updating', 'insync']);

/**
 * The status of a manager whose actor is in `context`; `pollPeriod` is the manager's option.
 *
 * @example xcapStatus(initialManagerContext(), { pollPeriod: 120_000 }).hint // 'stopped'
 */
export function xcapStatus(
  context: ManagerContext,
  options: { readonly pollPeriod: number },
): XcapStatus {
  const c = context;
  const h = c.health;
  const running = RUNNING.has(c.sync.state);
  const settingsError = c.settings === null ? c.settingsError : null;
  let connectivity: XcapConnectivity;
  let lastError = h.lastError;
  if (settingsError !== null) {
    connectivity = 'waiting-for-settings';
    lastError = settingsError;
  } else if (!running) connectivity = 'unknown';
  else if (c.sync.blocked === 'auth') connectivity = 'waiting-for-credentials';
  else if (h.lastError?.code === 'RXCAP_CAPABILITIES') connectivity = 'missing-capabilities';
  else if (h.lastError !== null) connectivity = 'unreachable';
  else if (h.reachable === true && running) connectivity = 'reachable';
  else connectivity = 'unknown';

  const xcapDiff = diffStatus(context, running, options.pollPeriod);
  // The same count as pending$ (one list, so that "3 changes not synced" agrees everywhere).
  const pending = pendingEntries(c).length;
  const status = {
    state: c.sync.state,
    connectivity,
    lastError,
    failures: h.failures,
    nextRetryAt: running ? h.nextRetryAt : null,
    xcapDiff,
    pending,
    lastSyncAt: h.lastSyncAt,
  };
  return { ...status, hint: hintOf(context, status) };
}

function diffStatus(c: ManagerContext, running: boolean, pollPeriod: number): XcapDiffStatus {
  const d = c.sync.diff;
  const none = { failures: 0, nextRetryAt: null };
  if (!running || d === 'off' || d === 'terminated') {
    // Running but not subscribed yet (initializing): polling starts with the subscription.
    return { state: 'off', reason: null, pollPeriod: null, ...none };
  }
  if (d === 'active') return { state: 'active', reason: null, pollPeriod: null, ...none };
  const retry = { failures: c.health.diffFailures, nextRetryAt: c.health.diffRetryAt };
  if (d === 'pending') return { state: 'connecting', reason: null, pollPeriod, ...retry };
  if (d === 'unavailable' && c.settings?.xcap?.xcapDiff === false)
    return { state: 'off', reason: 'xcap-diff disabled', pollPeriod, ...none };
  return { state: 'down', reason: c.health.diffReason ?? d, pollPeriod, ...retry };
}

function hintOf(c: ManagerContext, s: Omit<XcapStatus, 'hint'>): string {
  if (c.phase === 'closed') return 'closed';
  if (c.phase !== 'open') return 'closing';
  const e = s.lastError;
  switch (s.connectivity) {
    case 'waiting-for-settings':
      return `waiting for new settings: ${e?.message ?? 'no account settings'}`;
    case 'waiting-for-credentials':
      return credentialsHint(c, e);
    case 'missing-capabilities':
      return e?.message ?? 'the XCAP server lacks what rxcap needs';
    case 'unreachable':
      return `${failureHint(e)}; retrying`;
    default:
      break;
  }
  if (c.load === 'failed')
    return `the account's store could not be loaded: ${c.loadError?.message ?? 'unknown reason'}`;
  if (s.state === 'stopped') return c.switching ? 'switching accounts' : 'stopped';
  if (s.state === 'stopping') return 'stopping';
  if (s.state === 'initializing') return `looking for the XCAP server of ${accountOf(c)}`;
  const edits = s.pending === 1 ? '1 edit' : `${s.pending} edits`;
  if (s.state === 'fetching') return 'fetching documents';
  // An update with no edit of the application's (a normalize after the first fetch, a layout
  // repair) is still an update: say so rather than "sending 0 edits".
  if (s.state === 'updating') return s.pending === 0 ? 'updating documents' : `sending ${edits}`;
  const diff = s.xcapDiff;
  if (diff.state === 'down')
    return `in sync; xcap-diff is down (${diff.reason}), polling every ${Math.round((diff.pollPeriod ?? 0) / 1000)} s`;
  return 'in sync';
}

function accountOf(c: ManagerContext): string {
  return c.settings ? xuiOf(c.settings).replace(/^sips?:/i, '') : 'the account';
}

function credentialsHint(c: ManagerContext, e: XcapError | null): string {
  const status = (e as { status?: unknown } | null)?.status;
  if (status === 403) return `the server refused access for ${accountOf(c)} (403 Forbidden)`;
  if (status === 401) return `the server refused the credentials for ${accountOf(c)}`;
  return `authentication failed for ${accountOf(c)}: ${e?.message ?? 'unknown reason'}`;
}

/** A short explanation of a failure a retry may cure. */
function failureHint(e: XcapError | null): string {
  if (e === null) return 'the XCAP server failed';
  const x = e as XcapError & { url?: unknown; causeCode?: unknown; status?: unknown };
  const host = hostOf(x.url);
  if (isCertificateFailure(e))
    return `the TLS certificate of ${host ?? 'the XCAP server'} was refused (${x.causeCode})`;
  if (isCorsRefusal(e))
    return `the browser refused the answers of ${host ?? 'the XCAP server'} (CORS)`;
  if (e.code === 'RXCAP_NETWORK') {
    const where = host ?? 'the XCAP server';
    const code = systemCode(e) ?? x.causeCode;
    switch (code) {
      case 'ECONNREFUSED':
        return `connection refused by ${where}`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `no such host: ${host === undefined ? 'the XCAP server' : host.replace(/:\d+$/, '')}`;
      case 'ECONNRESET':
      case 'UND_ERR_SOCKET':
        return `connection to ${where} lost`;
      default:
        return `cannot reach ${where}${typeof code === 'string' ? ` (${code})` : ''}`;
    }
  }
  if (e.code === 'RXCAP_TIMEOUT') return `no answer from ${host ?? 'the XCAP server'} (timeout)`;
  if (e.code === 'RXCAP_HTTP' && typeof x.status === 'number')
    return `the XCAP server${host ? ` at ${host}` : ''} answered ${x.status}`;
  return e.message;
}

/**
 * The operating system's code behind a network error (`ECONNREFUSED`, `ENOTFOUND`): fetch
 * wraps it in a `TypeError('fetch failed')` whose own `cause` carries it.
 */
function systemCode(e: unknown): string | undefined {
  let cause = (e as { cause?: unknown }).cause;
  for (let depth = 0; depth < 4 && typeof cause === 'object' && cause !== null; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Whether two statuses say the same (status$ emits only a change).
 *
 * @example if (!sameStatus(last, next)) status$.next(next);
 */
export function sameStatus(a: XcapStatus, b: XcapStatus): boolean {
  return (
    a.state === b.state &&
    a.connectivity === b.connectivity &&
    a.lastError === b.lastError &&
    a.failures === b.failures &&
    a.nextRetryAt === b.nextRetryAt &&
    a.xcapDiff.state === b.xcapDiff.state &&
    a.xcapDiff.reason === b.xcapDiff.reason &&
    a.xcapDiff.pollPeriod === b.xcapDiff.pollPeriod &&
    a.xcapDiff.failures === b.xcapDiff.failures &&
    a.xcapDiff.nextRetryAt === b.xcapDiff.nextRetryAt &&
    a.pending === b.pending &&
    a.lastSyncAt === b.lastSyncAt &&
    a.hint === b.hint
  );
}
