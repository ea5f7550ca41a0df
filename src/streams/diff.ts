/**
 * The diff pipeline (`diff$`): runs the xcap-diff subscription through the
 * {@link DiffPort}, turns NOTIFYs into `remoteChanged` events, resubscribes with backoff after
 * a failure, and, while the subscription is down, fetches all the documents periodically: a `pollTick` every `ports.pollPeriod` while the
 * subscription is not active.
 */
import { BehaviorSubject, defer, Observable, Subject, type Subscription, timer } from 'rxjs';
import { auidOf, DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import { pollWhile } from '../operators/poll-while.js';
import { backoffDelay } from '../operators/retry-backoff.js';
import { toXcapError } from './errors.js';
import type { MachineCommand, MachineEvent } from './events.js';
import { patchesOfDiff } from './patch.js';
import type { DiffDocument, DiffEvent, DiffSettings, PipelinePorts } from './ports.js';

/**
 * How long a graceful termination may take before the subscription is dropped (ms).
 *
 * @example timer(TERMINATE_TIMEOUT, scheduler) // then the subscription is dropped
 */
export const TERMINATE_TIMEOUT = 5_000;

/**
 * How long a watch must stay active before its earlier failures are forgotten (ms): a port
 * that fails again sooner is resubscribed after a growing delay (regression test "a port that
 * reports active and then fails every time is resubscribed with a growing delay").
 *
 * @example timer(STABLE_AFTER, scheduler) // then failures = 0
 */
export const STABLE_AFTER = 60_000;

/**
 * `(commands$, ports) => events$` for `subscribe` / `unsubscribe`. Answers every
 * `unsubscribe` with `stopped` once the subscription is terminated.
 *
 * @example diffPipeline(commands$, ports).subscribe(dispatch)
 */
export function diffPipeline(
  commands$: Observable<MachineCommand>,
  ports: PipelinePorts,
): Observable<MachineEvent> {
  return new Observable<MachineEvent>((subscriber) => {
    const emit = (e: MachineEvent): void => subscriber.next(e);
    /** Polling needed: running and the subscription not active. */
    const polling$ = new BehaviorSubject<boolean>(false);
    let current: Watch | null = null;
    /** Identifies the watch allowed to steer polling (the latest subscribe). */
    let owner: object | null = null;
    /** Watches still terminating, and whether an unsubscribe waits for them to end. */
    const ending = new Map<object, Watch>();
    let waiting = false;
    const settle = (): void => {
      if (!waiting || ending.size > 0) return;
      waiting = false;
      emit({ type: 'stopped' });
    };
    const end = (w: Watch): void => {
      const key = {};
      ending.set(key, w);
      w.terminate(() => {
        ending.delete(key);
        settle();
      });
    };

    const pollSub = polling$
      .pipe(pollWhile({ period: ports.pollPeriod, scheduler: ports.scheduler }))
      .subscribe(() => emit({ type: 'pollTick' }));

    const commandSub = commands$.subscribe((cmd) => {
      if (cmd.type === 'subscribe') {
        // Subscription settings changed: the previous SUBSCRIBE dialog ends and a new one is made;
        // tracked, so that a stop() right after waits for it too.
        if (current !== null) end(current);
        polling$.next(true);
        // Only the current watch steers polling: a watch that ends after stop() or after
        // being replaced reports "not active" on its way out, which must not restart the
        // 2-minute poll timer (it would outlive the manager and keep a process alive).
        const token = {};
        owner = token;
        // A replaced or stopped watch's state reports are stale: only the current one's count.
        const own = (e: MachineEvent): void => {
          if (owner === token || (e.type !== 'diffState' && e.type !== 'diffFailed')) emit(e);
        };
        current = cmd.enabled
          ? watch(cmd.settings, ports, own, (active) => {
              if (owner === token) polling$.next(!active);
            })
          : null;
        if (!cmd.enabled)
          emit({ type: 'diffState', state: 'unavailable', reason: 'xcap-diff disabled' });
      } else if (cmd.type === 'unsubscribe') {
        owner = null;
        polling$.next(false);
        const w = current;
        current = null;
        // `stopped` means no subscription is left, including one still terminating after an
        // earlier unsubscribe (a connection change): stop() waits until the
        // xcap-diff subscription, if any, is terminated.
        waiting = true;
        if (w !== null) {
          // The machine learns at once that the subscription is gone: its own later reports
          // are dropped (they must not overwrite the state of a next subscription).
          emit({ type: 'diffState', state: 'terminated' });
          end(w);
        }
        settle();
      }
    });

    return () => {
      commandSub.unsubscribe();
      pollSub.unsubscribe();
      current?.drop();
      for (const w of ending.values()) w.drop();
    };
  });
}

interface Watch {
  /** Ends the subscription abruptly (the port tears the dialog down best-effort). */
  drop(): void;
  /** Ends it gracefully; `done` runs once it is terminated or after TERMINATE_TIMEOUT. */
  terminate(done: () => void): void;
}

function watch(
  settings: DiffSettings,
  ports: PipelinePorts,
  emit: (e: MachineEvent) => void,
  setActive: (active: boolean) => void,
): Watch {
  const terminate$ = new Subject<void>();
  let terminating = false;
  let failures = 0;
  let sub: Subscription | null = null;
  let retryTimer: Subscription | null = null;
  let onDone: (() => void) | null = null;
  let terminateTimer: Subscription | null = null;
  const finish = (): void => {
    terminateTimer?.unsubscribe();
    terminateTimer = null;
    const d = onDone;
    onDone = null;
    d?.();
  };

  /** Forgets the failures once a watch stayed active for STABLE_AFTER (see below). */
  let stableTimer: Subscription | null = null;
  const run = (): void => {
    let lastState: DiffEvent | null = null;
    sub = defer(() => ports.diff.watch(settings, { terminate$ })).subscribe({
      next: (e) => {
        if (e.type === 'state') {
          lastState = e;
          // Not at once: a port that reports active and then fails every time would be
          // retried at the first backoff step forever.
          if (e.state === 'active' && stableTimer === null)
            stableTimer = timer(STABLE_AFTER, ports.scheduler).subscribe(() => {
              failures = 0;
            });
          else if (e.state !== 'active') clearStable();
          setActive(e.state === 'active');
          emit({ type: 'diffState', state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
        } else if (e.type === 'resync') {
          emit({ type: 'remoteChanged', documents: 'all' });
        } else {
          // A full-state NOTIFY (RFC 5875 §4.4.2) stands for every document: those it names at
          // an ETag we hold are skipped by the transition, the others are fetched.
          const names = e.fullState === true ? DOCUMENT_NAMES : namesOf(e.documents, settings);
          const patches = patchesTrusted(settings, e.secure === true)
            ? patchesOfDiff(e.documents, names, presRulesAuidOf(settings))
            : undefined;
          if (names.length > 0)
            emit({
              type: 'remoteChanged',
              documents: names,
              etags: etagsOf(e.documents, names, settings),
              ...(patches !== undefined ? { patches } : {}),
            });
        }
      },
      error: (err: unknown) => {
        clearStable();
        setActive(false);
        if (terminating) return finish();
        failures++;
        // Report the first failure of a series only: retries of a down server are not news.
        if (failures === 1) emit({ type: 'diffFailed', error: toXcapError(err, 'diff') });
        emit({ type: 'diffState', state: 'failed' });
        scheduleRetry();
      },
      complete: () => {
        clearStable();
        setActive(false);
        if (terminating) return finish();
        // `unavailable`: no xcap-diff here; polling only. Anything else: try again later.
        if (lastState?.type === 'state' && lastState.state === 'unavailable') return;
        failures++;
        scheduleRetry();
      },
    });
  };

  const clearStable = (): void => {
    stableTimer?.unsubscribe();
    stableTimer = null;
  };

  const scheduleRetry = (): void => {
    const delay = backoffDelay(ports.backoff, failures, ports.random);
    ports.retrying?.({ attempt: failures, delay, target: 'xcap-diff' });
    retryTimer = timer(delay, ports.scheduler).subscribe(() => {
      retryTimer = null;
      run();
    });
  };

  run();
  return {
    drop: () => {
      clearStable();
      terminating = true;
      retryTimer?.unsubscribe();
      sub?.unsubscribe();
    },
    terminate: (done) => {
      clearStable();
      terminating = true;
      retryTimer?.unsubscribe();
      if (sub === null || sub.closed) return done();
      onDone = done;
      terminate$.next();
      if (onDone === null) return;
      // A port that does not answer in time is dropped: stop() must not hang.
      terminateTimer = timer(TERMINATE_TIMEOUT, ports.scheduler).subscribe(() => {
        sub?.unsubscribe();
        finish();
      });
    },
  };
}

/**
 * Whether the patches of a NOTIFY may be applied: a NOTIFY over plain tcp/ws may come from
 * anyone on the path, and its patch would become the cached document (issue "xcap-diff
 * patches: trusted only when they can be trusted"); the account may opt in.
 */
function patchesTrusted(settings: DiffSettings, secure: boolean): boolean {
  const trust = settings.patches ?? 'secure';
  return trust === 'always' || (trust === 'secure' && secure);
}

/** The new ETag of each named document, as the NOTIFY gives it. */
function etagsOf(
  documents: readonly DiffDocument[],
  names: readonly DocumentName[],
  settings: DiffSettings,
): Partial<Record<DocumentName, string | null>> {
  const presRulesAuid = presRulesAuidOf(settings);
  const out: Partial<Record<DocumentName, string | null>> = {};
  for (const n of names) {
    const d = documents.find((x) => x.auid === auidOf(n, presRulesAuid));
    if (d) out[n] = d.newEtag;
  }
  return out;
}

function presRulesAuidOf(settings: DiffSettings): string {
  return settings.documents.some((p) => p.startsWith('org.openmobilealliance.pres-rules/'))
    ? 'org.openmobilealliance.pres-rules'
    : 'pres-rules';
}

/** The document names a NOTIFY mentions (only the account's own documents). */
function namesOf(documents: readonly DiffDocument[], settings: DiffSettings): DocumentName[] {
  const presRulesAuid = presRulesAuidOf(settings);
  const auids = new Set(documents.map((d) => d.auid));
  return DOCUMENT_NAMES.filter((n) => auids.has(auidOf(n, presRulesAuid)));
}
