/**
 * The facade over the manager's actor: it validates arguments, sends events and waits for the
 * steps that answer them. It holds no lifecycle state of its own: the intent, the load phase
 * and the store's counters are in the actor's context (./machine.ts).
 */
import { isObservable, type Observable, of, Subject, type Subscription } from 'rxjs';
import type { ActorStep } from '../actor/run-actor.js';
import type { XcapError } from '../errors.js';
import { generateId } from '../model/validation.js';
import type { AccountSettings } from '../streams/settings.js';
import { checkAccountSettings } from './account.js';
import { XcapManagerClosedError, XcapNotDurableError, XcapSettingsError } from './errors.js';
import type { localViews } from './local-views.js';
import { initialManagerContext, isRunning } from './machine.js';
import type { ManagerCommand, ManagerContext, ManagerEvent } from './machine-types.js';
import { operationMethods } from './operation-methods.js';
import type { outputs } from './outputs.js';
import { lazySnapshot } from './snapshot.js';
import { transactions } from './transactions.js';
import type { XcapManager } from './types.js';
import { inSyncDecision } from './when-in-sync.js';

type Step = ActorStep<ManagerContext, ManagerEvent, ManagerCommand>;
/** What a waiter decides at a step: keep waiting, resolve, or reject with an error. */
type Decision = 'wait' | 'done' | XcapError;

/**
 * The XcapManager over a running actor. Subscribes to the account stream once; a first value
 * given synchronously is checked synchronously (a bad one throws `XcapValidationError`).
 *
 * @example return managerFacade({ actor$, input$, out, account: options.account });
 */
export function managerFacade(deps: {
  readonly actor$: Observable<Step>;
  readonly input$: Subject<ManagerEvent>;
  readonly out: ReturnType<typeof outputs>;
  /** The local views and pending edits, fed with every step. */
  readonly views: ReturnType<typeof localViews>;
  readonly account: AccountSettings | Observable<AccountSettings>;
}): XcapManager {
  const { out, input$, views } = deps;
  let context = initialManagerContext();
  const steps$ = new Subject<Step>();
  const send = (event: ManagerEvent): void => input$.next(event);
  let settingsSub: Subscription | null = null;

  const tx = transactions({
    entry(operation) {
      if (context.phase !== 'open') throw new XcapManagerClosedError(operation.type);
      // Unknown ids are refused synchronously and nothing is journaled.
      out.check(operation);
      return { id: generateId(), operation };
    },
    commit: (entries) => send({ type: 'operationsMade', entries }),
    rolledBack: () => out.rebuildKnown(context, tx.held()),
  });

  out.state$.next({ prev: null, state: context.sync.state });
  out.emitStatus(context);
  let actorSub: Subscription | null = null;
  actorSub = deps.actor$.subscribe((step) => {
    const prev = context.sync.state;
    context = step.context;
    // The step's effects first, then state$: an operation made from a state$ callback (say on
    // insync) must find the ids emitData rebuilt from this step's data; and a UI that sees
    // insync finds the synced data already on the data streams.
    for (const c of step.commands) if (c.type !== 'complete') out.run(c, context, tx.held());
    // Synchronously after the step: an edit made outside a transaction is in the local views
    // when its method returns.
    views.step(context, step.commands);
    if (context.sync.state !== prev) out.state$.next({ prev, state: context.sync.state });
    out.emitStatus(context);
    steps$.next(step);
    if (step.commands.some((c) => c.type === 'complete')) {
      settingsSub?.unsubscribe();
      steps$.complete();
      out.run({ type: 'complete' }, context);
      views.complete();
      actorSub?.unsubscribe();
    }
  });

  /** Sends `event` and settles with `decide`, evaluated from the step of that event on. */
  const request = (
    event: ManagerEvent,
    decide: (c: ManagerContext, step: Step) => Decision,
  ): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let seen = false;
      const sub = steps$.subscribe({
        next: (step) => {
          if (!seen && step.event !== event) return;
          seen = true;
          const d = decide(step.context, step);
          if (d === 'wait') return;
          sub.unsubscribe();
          if (d === 'done') resolve();
          else reject(d);
        },
        complete: () => reject(new XcapManagerClosedError(event.type.replace(/Requested$/, ''))),
      });
      send(event);
    });
  const refuseClosed = (call: string): Promise<never> | null =>
    context.phase === 'open' ? null : Promise.reject(new XcapManagerClosedError(call));

  try {
    settingsSub = subscribeSettings(deps.account, send);
  } catch (e) {
    actorSub?.unsubscribe();
    throw e;
  }

  const streams = {
    state$: out.state$.asObservable(),
    status$: out.status$.asObservable(),
    capabilities$: out.capabilities$.value$,
    addressbook$: out.addressbook$.value$,
    presenceRules$: out.presenceRules$.value$,
    dialogRules$: out.dialogRules$.value$,
    icon$: out.icon$.value$,
    offlineStatus$: out.offlineStatus$.value$,
    lifecycle$: out.lifecycle$.asObservable(),
    error$: out.error$.asObservable(),
    trace$: out.trace$.asObservable(),
    local: views.local,
    pending$: views.pending$,
  };
  // The snapshot reads the per-account streams through current$, which says when an account
  // switch forgot their value (value$ stays silent then).
  const snapshot = lazySnapshot(() => ({
    ...streams,
    capabilities$: out.capabilities$.current$,
    addressbook$: out.addressbook$.current$,
    presenceRules$: out.presenceRules$.current$,
    dialogRules$: out.dialogRules$.current$,
    icon$: out.icon$.current$,
    offlineStatus$: out.offlineStatus$.current$,
    local: views.current,
  }));

  return {
    ...streams,
    get state() {
      return context.sync.state;
    },
    getSnapshot: snapshot.getSnapshot,
    subscribe: snapshot.subscribe,
    load: () =>
      refuseClosed('load') ??
      request({ type: 'loadRequested' }, (c) => {
        if (c.load === 'loaded') return 'done';
        if (c.load === 'failed') return c.loadError!;
        return c.phase === 'open' ? 'wait' : new XcapManagerClosedError('load');
      }),
    start: () =>
      refuseClosed('start') ??
      request({ type: 'startRequested' }, (c) => {
        if (c.phase !== 'open') return new XcapManagerClosedError('start');
        if (c.load === 'failed') return c.loadError!;
        // The load this start asked for reports its failure to it, even after a later stop().
        if (c.load === 'loading' || c.load === 'waiting') return 'wait';
        // Running, or a later stop() won (the last call decides): either way this call is over.
        if (c.intent !== 'running' || isRunning(c.sync.state)) return 'done';
        return 'wait';
      }),
    stop: () => {
      let stopped = false;
      return (
        refuseClosed('stop') ??
        request({ type: 'stopRequested' }, (c, step) => {
          if (c.phase === 'closed') return 'done';
          // Stopped once (a start queued behind this stop may already run again), then the
          // store's writes have ended.
          stopped ||=
            c.sync.state === 'stopped' ||
            step.commands.some((x) => x.type === 'emitLifecycle' && x.event === 'didEnd');
          return stopped && c.writing === 0 ? 'done' : 'wait';
        })
      );
    },
    close: () =>
      refuseClosed('close') ??
      request({ type: 'closeRequested' }, (c) => (c.phase === 'closed' ? 'done' : 'wait')),
    flush: () => {
      let target = 0;
      return (
        refuseClosed('flush') ??
        request({ type: 'flushRequested' }, (c, step) => {
          if (step.event.type === 'flushRequested') target = c.journalSeq;
          if (c.savedSeq >= target && c.writing === 0) return 'done';
          // No settings yet: no account, so no store to make them durable in; waiting would
          // last until settings arrive, maybe forever (regression test "flush() before any
          // settings rejects instead of waiting forever"). They stay held and are journaled
          // once the account's store is loaded.
          if (step.event.type === 'flushRequested' && c.settings === null)
            return new XcapNotDurableError(
              'no account settings yet: the operations are held in memory until the account stream gives settings and its store is loaded',
            );
          if (c.phase === 'closed') return new XcapManagerClosedError('flush');
          const e = step.event;
          if (e.type === 'journalSaveFailed' || (c.storeFailures > 0 && c.writing === 0))
            return new XcapNotDurableError('the journal could not be written to the store', {
              cause: e.type === 'journalSaveFailed' ? e.error : undefined,
            });
          if (c.load === 'failed')
            return new XcapNotDurableError('the store could not be loaded', {
              cause: c.loadError,
            });
          return 'wait';
        })
      );
    },
    whenInSync: () =>
      new Promise<void>((resolve, reject) => {
        const settle = (d: 'done' | XcapError): void => (d === 'done' ? resolve() : reject(d));
        const now = inSyncDecision(context);
        if (now !== 'wait') return settle(now);
        const sub = steps$.subscribe({
          next: (step) => {
            const d = inSyncDecision(step.context);
            if (d === 'wait') return;
            sub.unsubscribe();
            settle(d);
          },
          complete: () => reject(new XcapManagerClosedError('whenInSync')),
        });
      }),
    transaction: tx.transaction,
    startTransaction: () => {
      if (context.phase !== 'open') throw new XcapManagerClosedError('startTransaction');
      return tx.startTransaction();
    },
    commitTransaction: tx.commitTransaction,
    ...operationMethods((operation) => tx.journal(operation)),
  };
}

/**
 * Subscribes to the account once. Each value is checked on arrival: a bad later value is
 * reported (the last good settings stay); a bad first value given synchronously throws here.
 */
function subscribeSettings(
  account: AccountSettings | Observable<AccountSettings>,
  send: (event: ManagerEvent) => void,
): Subscription {
  const settings$: Observable<unknown> = isObservable(account) ? account : of(account);
  let synchronous = true;
  let got = false;
  let firstError: unknown = null;
  const sub = settings$.subscribe({
    next: (value) => {
      if (firstError !== null) return;
      let settings: AccountSettings;
      try {
        settings = checkAccountSettings(value);
      } catch (e) {
        if (synchronous && !got) firstError = e;
        else send({ type: 'settingsRefused', error: e as XcapError });
        return;
      }
      got = true;
      send({ type: 'settingsArrived', settings });
    },
    error: (e: unknown) =>
      send({
        type: 'settingsFailed',
        error: new XcapSettingsError('the account stream failed', { cause: e }),
      }),
    complete: () => {
      if (!got)
        send({
          type: 'settingsFailed',
          error: new XcapSettingsError('the account stream completed without a value'),
        });
    },
  });
  synchronous = false;
  if (firstError !== null) {
    sub.unsubscribe();
    throw firstError;
  }
  return sub;
}
