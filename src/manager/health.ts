/**
 * The manager's health, folded from its events by the pure transition: how many attempts to
 * reach the XCAP server failed in a row, the last failure, when the next retry is due
 * (scheduler time, from the pipelines' retry notices), why xcap-diff is down and when the last
 * sync completed. It also decides which failures reach `error$`: the first of a kind; repeats
 * of the same failure are only counted (regression test "a refused connection reaches error$
 * once across its retries").
 */
import type { XcapError } from '../errors.js';
import type { MachineEvent } from '../streams/events.js';
import { classifySettingsChange } from '../streams/settings.js';
import type { ManagerCommand, ManagerContext, ManagerEvent } from './machine-types.js';

/**
 * What the manager knows about its connection to the XCAP server and xcap-diff; pure data in
 * its context, the source of `status$`.
 *
 * @example if (context.health.failures > 0) console.warn(context.health.lastError?.message);
 */
export interface ManagerHealth {
  /** Failed attempts in a row (transient ones retried in place included); 0 after a success. */
  readonly failures: number;
  /** The last failure since the last success (null after a success or a new start). */
  readonly lastError: XcapError | null;
  /** Scheduler time the next retry is due (null: none scheduled); may be past while it runs. */
  readonly nextRetryAt: number | null;
  /** The server answered since the start (null: no answer and no failure yet). */
  readonly reachable: boolean | null;
  /** The kind ({@link failureKind}) of the failure last put on `error$`; null after a success. */
  readonly reported: string | null;
  /** Why xcap-diff is not active, as its port said. */
  readonly diffReason: string | null;
  /** Resubscriptions of xcap-diff in a row that the manager scheduled (0 once it is active). */
  readonly diffFailures: number;
  /** When the manager resubscribes to xcap-diff (scheduler time; null: not scheduled). */
  readonly diffRetryAt: number | null;
  /** Scheduler time of the last completed sync (the manager entered `insync`). */
  readonly lastSyncAt: number | null;
}

/**
 * The health of a manager that never ran.
 *
 * @example initialHealth().failures // 0
 */
export function initialHealth(): ManagerHealth {
  return {
    failures: 0,
    lastError: null,
    nextRetryAt: null,
    reachable: null,
    reported: null,
    diffReason: null,
    diffFailures: 0,
    diffRetryAt: null,
    lastSyncAt: null,
  };
}

/**
 * The kind of a failure: two failures of one kind are one piece of news. Same code, HTTP
 * status and underlying cause (`ECONNREFUSED`, a timeout's phase, the missing AUIDs).
 *
 * @example failureKind(err401) // 'RXCAP_HTTP|401|'
 */
export function failureKind(error: XcapError): string {
  const e = error as XcapError & {
    status?: unknown;
    causeCode?: unknown;
    phase?: unknown;
    missing?: unknown;
  };
  const status = typeof e.status === 'number' ? e.status : '';
  const detail =
    typeof e.causeCode === 'string'
      ? e.causeCode
      : typeof e.phase === 'string'
        ? e.phase
        : Array.isArray(e.missing)
          ? e.missing.join(',')
          : '';
  return `${error.code}|${status}|${detail}`;
}

const SUCCESS = new Set<ManagerEvent['type']>([
  'capabilitiesDiscovered',
  'fetched',
  'updated',
  'conflict',
]);
const FAILURE = new Set<ManagerEvent['type']>([
  'capabilitiesFailed',
  'authFailed',
  'fetchFailed',
  'updateFailed',
]);

/**
 * Folds `event` into the health of `after` (the context the transition made from `before`) and
 * drops the `reportError` of a failure of the kind already reported.
 *
 * @example const r = foldHealth(before, { context, commands }, event);
 */
export function foldHealth(
  before: ManagerContext,
  step: { readonly context: ManagerContext; readonly commands: readonly ManagerCommand[] },
  event: ManagerEvent,
): { context: ManagerContext; commands: readonly ManagerCommand[] } {
  const after = step.context;
  let h = after.health;
  let commands = step.commands;
  const running = isActive(after.sync.state);

  // A new start or new connection settings: earlier failures are not this attempt's.
  const restarted =
    (!isActive(before.sync.state) && running) ||
    (event.type === 'settingsArrived' &&
      before.settings !== null &&
      classifySettingsChange(before.settings, event.settings) === 'connection');
  if (restarted)
    h = {
      ...initialHealth(),
      // The time of the last sync stays: the data shown is still from it.
      lastSyncAt: h.lastSyncAt,
    };

  if (event.type === 'retrying' && event.target === 'xcap-diff') {
    if (!running) return step;
    h = { ...h, diffFailures: event.attempt, diffRetryAt: event.at + event.delay };
  } else if (event.type === 'retrying') {
    if (!running) return step;
    h = { ...h, nextRetryAt: event.at + event.delay };
    if (event.error !== undefined) {
      const fresh = failureKind(event.error) !== h.reported;
      h = failed(h, event.error);
      if (fresh) commands = [...commands, { type: 'reportError', error: event.error }];
    }
  } else if (!running && (FAILURE.has(event.type) || SUCCESS.has(event.type))) {
    // A late answer of a cancelled step: the transition ignored it, and so does the health.
  } else if (FAILURE.has(event.type)) {
    const error = (event as Extract<MachineEvent, { error: XcapError }>).error;
    const repeat = failureKind(error) === h.reported;
    h = failed(h, error);
    // Only the failure this event reports; store errors and rejected operations always go out.
    if (repeat) commands = commands.filter((c) => !(c.type === 'reportError' && c.error === error));
    if (event.type === 'authFailed') h = { ...h, reachable: true };
  } else if (SUCCESS.has(event.type)) {
    h = { ...h, failures: 0, lastError: null, nextRetryAt: null, reachable: true, reported: null };
  } else if (event.type === 'diffState') {
    h =
      event.state === 'active'
        ? { ...h, diffReason: null, diffFailures: 0, diffRetryAt: null }
        : { ...h, diffReason: event.reason ?? h.diffReason };
  } else if (event.type === 'diffFailed') {
    h = { ...h, diffReason: event.error.message };
  }

  if (!running && (h.nextRetryAt !== null || h.diffRetryAt !== null))
    h = { ...h, nextRetryAt: null, diffRetryAt: null };
  if (after.sync.state === 'insync' && before.sync.state !== 'insync') {
    const at = (event as { at?: unknown }).at;
    if (typeof at === 'number') h = { ...h, lastSyncAt: at };
  }
  return h === after.health
    ? { context: after, commands }
    : { context: { ...after, health: h }, commands };
}

function failed(h: ManagerHealth, error: XcapError): ManagerHealth {
  return {
    ...h,
    failures: h.failures + 1,
    lastError: error,
    reachable: false,
    reported: failureKind(error),
  };
}

function isActive(state: ManagerContext['sync']['state']): boolean {
  return (
    state === 'initializing' || state === 'fetching' || state === 'updating' || state === 'insync'
  );
}
