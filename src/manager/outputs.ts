/**
 * The emission effect: the manager's hot streams and the commands that feed them (errors,
 * lifecycle, capabilities, extracted data, forgetting an account's data, completion), plus what
 * the operation methods check synchronously, rebuilt from each extraction: the known ids and
 * the write budget (estimated document sizes after the journal).
 */
import { ReplaySubject, Subject } from 'rxjs';
import type { XcapError } from '../errors.js';
import { extractData } from '../journal/index.js';
import { KnownIds } from '../journal/known-ids.js';
import type { Operation } from '../journal/operations.js';
import { documentSizes, WriteBudget } from '../journal/write-budget.js';
import type { Addressbook, DialogRules, PresenceRules } from '../model/addressbook.js';
import type { Icon } from '../model/icon.js';
import type { OfflineStatus } from '../model/offline-status.js';
import { toXcapError } from '../streams/errors.js';
import type { DocumentStore, JournalEntry } from '../streams/events.js';
import type { Capabilities, OperationData, TraceEntry } from '../streams/ports.js';
import { changeGate, extractInput, resettableReplay } from './data.js';
import { journaledEntries } from './machine.js';
import type { ManagerCommand, ManagerContext } from './machine-types.js';
import { sameStatus, type XcapStatus, xcapStatus } from './status.js';
import type { LifecycleEvent, StateChange } from './types.js';

/**
 * The manager's streams and the runner of its emission commands.
 *
 * @example const out = outputs({ pollPeriod: 120_000 }); out.run(command, context, tx.held()); out.addressbook$.value$.subscribe(render);
 */
export function outputs(options: { readonly pollPeriod: number }) {
  const state$ = new ReplaySubject<StateChange>(1);
  const status$ = new ReplaySubject<XcapStatus>(1);
  let lastStatus: XcapStatus | null = null;
  // Per account: an account switch forgets them (resettableReplay).
  const capabilities$ = resettableReplay<Capabilities>();
  const addressbook$ = resettableReplay<Addressbook>();
  const presenceRules$ = resettableReplay<PresenceRules>();
  const dialogRules$ = resettableReplay<DialogRules>();
  const icon$ = resettableReplay<Icon | null>();
  const offlineStatus$ = resettableReplay<OfflineStatus | null>();
  const lifecycle$ = new ReplaySubject<LifecycleEvent>(1);
  const error$ = new ReplaySubject<XcapError>(1);
  // A log, not a state: no replay (a late subscriber would take an old request for a new one).
  const trace$ = new Subject<TraceEntry>();
  const gate = changeGate();
  const perAccount = [
    capabilities$,
    addressbook$,
    presenceRules$,
    dialogRules$,
    icon$,
    offlineStatus$,
  ];

  /** The ids the operation methods may name (null: no data yet, nothing to check against). */
  let known: KnownIds | null = null;
  let lastBook: Addressbook | null = null;
  /** Estimated document sizes after the journal: no edit may outgrow what readers read. */
  let budget = WriteBudget.of();
  let lastDocuments: DocumentStore = {};

  /** The server's view plus what is journaled since (and held by open transactions). */
  const rebuildKnown = (context: ManagerContext, held: readonly JournalEntry[]): void => {
    const entries = [...journaledEntries(context), ...held];
    budget = WriteBudget.of(documentSizes(lastDocuments));
    for (const e of entries) budget.apply(e.operation as Operation);
    if (lastBook === null) return;
    try {
      const ids = KnownIds.of(lastBook);
      for (const e of entries) ids.apply(e.operation as Operation);
      known = ids;
    } catch (e) {
      known = null;
      error$.next(toXcapError(e, 'extract'));
    }
  };

  const run = (
    c: ManagerCommand,
    context: ManagerContext,
    held: readonly JournalEntry[] = [],
  ): void => {
    switch (c.type) {
      case 'reportError':
        error$.next(c.error);
        return;
      case 'emitLifecycle':
        lifecycle$.next(c.event);
        return;
      case 'emitCapabilities':
        // Every start re-reads xcap-caps; like the data streams, emit only a change.
        gate.emitIfChanged('capabilities', capabilities$, c.capabilities);
        return;
      case 'emitData': {
        const discovery = context.sync.discovery;
        const names = discovery ? new Set(discovery.supported) : null;
        const { docs, ctx, meta } = extractInput(c.documents, c.discovery, context.settings, names);
        let data: ReturnType<typeof extractData>;
        try {
          data = extractData(docs, ctx, meta);
        } catch (e) {
          error$.next(toXcapError(e, 'extract'));
          return;
        }
        lastBook = data.addressbook;
        lastDocuments = c.documents;
        rebuildKnown(context, held);
        gate.emitIfChanged('addressbook', addressbook$, data.addressbook);
        gate.emitIfChanged('presenceRules', presenceRules$, data.presenceRules);
        gate.emitIfChanged('dialogRules', dialogRules$, data.dialogRules);
        gate.emitIfChanged('icon', icon$, data.icon);
        gate.emitIfChanged('offlineStatus', offlineStatus$, data.offlineStatus);
        return;
      }
      case 'forgetData':
        gate.clear();
        for (const s of perAccount) s.reset();
        known = null;
        lastBook = null;
        lastDocuments = {};
        budget = WriteBudget.of();
        return;
      case 'complete':
        for (const s of [state$, status$, lifecycle$, error$, trace$]) s.complete();
        for (const s of perAccount) s.complete();
        return;
      default:
        return;
    }
  };

  return {
    state$,
    status$,
    /** Emits the status of `context` on status$ when it differs from the last one. */
    emitStatus(context: ManagerContext): void {
      const next = xcapStatus(context, options);
      if (lastStatus !== null && sameStatus(lastStatus, next)) return;
      lastStatus = next;
      status$.next(next);
    },
    capabilities$,
    addressbook$,
    presenceRules$,
    dialogRules$,
    icon$,
    offlineStatus$,
    lifecycle$,
    error$,
    trace$,
    run,
    rebuildKnown,
    /**
     * Refuses an operation naming an unknown id, or one that would make a document larger than
     * every reader reads (`XcapWriteLimitError`, counting what is journaled and what open
     * transactions hold); then counts it.
     */
    check(operation: OperationData): void {
      known?.check(operation as Operation);
      budget.check(operation as Operation);
      known?.apply(operation as Operation);
      budget.apply(operation as Operation);
    },
  };
}
