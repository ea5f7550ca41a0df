/**
 * `createXcapManager()`: the public facade. It wires the ports into the pipelines
 * (src/streams), runs the state machine, persists the cache and the journal through the
 * storage port, and exposes everything as hot streams that replay their latest value.
 */
import {
  asyncScheduler,
  firstValueFrom,
  isObservable,
  of,
  ReplaySubject,
  Subject,
  type Subscription,
} from 'rxjs';
import { isTransient, retryAfterMs } from './client/errors.js';
import type { DocumentName } from './codecs/applications.js';
import type { XcapError } from './errors.js';
import { type ExtractedData, extractData } from './journal/index.js';
import { KnownIds } from './journal/known-ids.js';
import type { Operation } from './journal/operations.js';
import { documentSizes, WriteBudget } from './journal/write-budget.js';
import { changeGate, extractInput, resettableReplay } from './manager-data.js';
import {
  clientFactory,
  DEFAULT_BACKOFF,
  DEFAULT_POLL_PERIOD,
  defaultEngine,
  noDns,
} from './manager-defaults.js';
import { cacheForm, restoreDocuments, writeQueue } from './manager-persistence.js';
import { operationMethods, transactionQueue } from './manager-transactions.js';
import type {
  LifecycleEvent,
  StateChange,
  XcapManager,
  XcapManagerOptions,
} from './manager-types.js';
import type { Addressbook, DialogRules, PresenceRules } from './model/addressbook.js';
import type { Icon } from './model/icon.js';
import type { OfflineStatus } from './model/offline-status.js';
import { generateId } from './model/validation.js';
import { documentCache } from './store/document-cache.js';
import { journalStore } from './store/journal-store.js';
import { memoryStorage } from './store/memory-storage.js';
import { toXcapError } from './streams/errors.js';
import type {
  DocumentStore,
  JournalEntry,
  MachineCommand,
  MachineEvent,
  XcapState,
} from './streams/events.js';
import { type MachineStep, runMachine } from './streams/machine.js';
import {
  type Capabilities,
  type OperationData,
  type PipelinePorts,
  type TraceEntry,
  unavailableDiffPort,
} from './streams/ports.js';
import { type AccountSettings, classifySettingsChange, xuiOf } from './streams/settings.js';

/** The manager's public types (manager-types.ts). @example import type { XcapManager } from 'rxcap'; */
export type {
  LifecycleEvent,
  StateChange,
  XcapManager,
  XcapManagerOptions,
} from './manager-types.js';
export type { XcapState } from './streams/events.js';
export type { AccountSettings } from './streams/settings.js';

/**
 * Creates an XCAP manager. Nothing happens until `load()` / `start()`.
 *
 * @example
 * ```ts
 * const manager = createXcapManager({ account, storage: fileStorage('/var/lib/app/xcap') });
 * await manager.start();
 * ```
 */
export function createXcapManager(options: XcapManagerOptions): XcapManager {
  const scheduler = options.scheduler ?? asyncScheduler;
  const storage = options.storage ?? memoryStorage();
  const settings$ = isObservable(options.account) ? options.account : of(options.account);

  const state$ = new ReplaySubject<StateChange>(1);
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
  const { emitIfChanged, clear: clearEmitted } = changeGate();

  const ports: PipelinePorts = {
    http: options.http ?? clientFactory(options.client),
    dns: options.dns ?? noDns,
    diff: options.sip ?? unavailableDiffPort,
    engine: options.engine ?? defaultEngine,
    scheduler,
    random: options.random ?? Math.random,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    isTransient,
    retryAfterMs: (e) => retryAfterMs(e),
    pollPeriod: options.pollPeriod ?? DEFAULT_POLL_PERIOD,
    trace: (t) => trace$.next(t),
  };

  let settings: AccountSettings | null = null;
  let state: XcapState = 'stopped';
  let discoveryNames: ReadonlySet<DocumentName> | null = null;
  const input$ = new Subject<MachineEvent>();
  const stepListeners = new Set<(step: MachineStep) => void>();
  /** The journal as the machine last had it, and the ids the methods may name (null: no data yet). */
  let journalNow: readonly JournalEntry[] = [];
  let known: KnownIds | null = null;
  /** Estimated document sizes after the journal: no edit may outgrow what readers read. */
  let budget = WriteBudget.of();
  state$.next({ prev: null, state });

  // --- persistence (Promises live here, at the edge, never inside a pipeline) -------------
  const writes = writeQueue((e) => error$.next(toXcapError(e, 'storage')));
  /** The account whose cache and journal are loaded (storage keys follow it, not the settings). */
  let accountId: string | null = null;
  const stores = () => {
    const id = accountId ?? settings!.id;
    return { cache: documentCache(storage, id), journal: journalStore<OperationData>(storage, id) };
  };

  const onCommand = (c: MachineCommand): void => {
    switch (c.type) {
      case 'reportError':
        error$.next(c.error);
        return;
      case 'emitCapabilities':
        // Every start re-reads xcap-caps; like the data streams, emit only a change (README).
        emitIfChanged('capabilities', capabilities$, c.capabilities);
        return;
      case 'saveCache': {
        const docs = cacheForm(c.documents);
        const { cache } = stores();
        writes.write(() => cache.save(docs));
        return;
      }
      case 'saveJournal': {
        const records = c.journal.map((e) => ({ id: e.id, operation: e.operation }));
        const { journal } = stores();
        writes.write(() => journal.save(records));
        return;
      }
      case 'emitData': {
        const data = extract(c.documents, c.discovery);
        if (data === null) return;
        // The ids methods may name: the server's view plus what is journaled since.
        known = KnownIds.of(data.addressbook);
        budget = WriteBudget.of(documentSizes(c.documents));
        for (const e of [...journalNow, ...tx.queued]) {
          known.apply(e.operation as Operation);
          budget.apply(e.operation as Operation);
        }
        emitIfChanged('addressbook', addressbook$, data.addressbook);
        emitIfChanged('presenceRules', presenceRules$, data.presenceRules);
        emitIfChanged('dialogRules', dialogRules$, data.dialogRules);
        emitIfChanged('icon', icon$, data.icon);
        emitIfChanged('offlineStatus', offlineStatus$, data.offlineStatus);
        return;
      }
      default:
        return;
    }
  };

  const extract = (
    documents: DocumentStore,
    discovery: { root: string; presRulesAuid: string; supported: readonly DocumentName[] } | null,
  ): ExtractedData | null => {
    const { docs, ctx, meta } = extractInput(documents, discovery, settings, discoveryNames);
    try {
      return extractData(docs, ctx, meta);
    } catch (e) {
      error$.next(toXcapError(e, 'extract'));
      return null;
    }
  };

  const machine: Subscription = runMachine(input$, ports).subscribe((step) => {
    journalNow = step.context.journal;
    const next = step.context.state;
    discoveryNames = step.context.discovery ? new Set(step.context.discovery.supported) : null;
    const prev = state;
    state = next;
    // The step's effects first, then state$: an operation made from a state$ callback (say
    // on insync) must find the ids emitData rebuilt from this step's data, not be forgotten
    // by it; and a UI that sees insync finds the synced data already on the data streams.
    for (const c of step.commands) onCommand(c);
    if (next !== prev) state$.next({ prev, state: next });
    for (const l of stepListeners) l(step);
  });
  void machine;

  // --- settings ---------------------------------------------------------------------------
  const firstSettings = firstValueFrom(settings$);
  // load() reports a settings stream that ends without a value; nobody else must see it.
  firstSettings.catch(() => undefined);
  settings$.subscribe({
    next: (s) => {
      const prev = settings;
      settings = s;
      if (prev === null) return;
      if (xuiOf(prev) !== xuiOf(s)) {
        // Another account: its own cache and journal, never this one's documents.
        switching = switching
          .then(() => switchAccount())
          .catch((e: unknown) => error$.next(toXcapError(e, 'storage')));
        return;
      }
      input$.next({ type: 'settingsChanged', settings: s, kind: classifySettingsChange(prev, s) });
    },
    error: (e: unknown) => error$.next(toXcapError(e, 'settings')),
  });

  let switching: Promise<void> = Promise.resolve();
  const switchAccount = async (): Promise<void> => {
    // Resume only what the application asked for, and only if it asked nothing meanwhile: a
    // stop() called right after the settings change (logout, then quit) must hold.
    const resume = wanted === 'running';
    const before = calls;
    await stop();
    await writes.idle();
    loading = null;
    loaded = false;
    accountId = null;
    clearEmitted();
    for (const s of [
      capabilities$,
      addressbook$,
      presenceRules$,
      dialogRules$,
      icon$,
      offlineStatus$,
    ])
      s.reset();
    known = null;
    budget = WriteBudget.of();
    input$.next({ type: 'reset' });
    await load();
    if (resume && calls === before) await start();
  };

  // --- load / start / stop ----------------------------------------------------------------
  let loading: Promise<void> | null = null;
  let loaded = false;
  const pending: JournalEntry[] = [];
  const load = (): Promise<void> => {
    loading ??= (async () => {
      await firstSettings;
      accountId = settings!.id;
      const { cache, journal } = stores();
      const [cached, records] = await Promise.all([cache.load(), journal.load()]);
      // A corrupt cache entry is refetched unconditionally; report it once.
      const documents = restoreDocuments(
        cached,
        (xml) => ports.engine.parse(xml),
        (e) => error$.next(toXcapError(e, 'storage')),
      );
      const entries = records.map((r) => ({ id: r.id, operation: r.operation }));
      input$.next({ type: 'loaded', documents, journal: entries });
      loaded = true;
      if (pending.length > 0) input$.next({ type: 'journalAppended', entries: pending.splice(0) });
    })().catch((e: unknown) => {
      // A failed load (storage busy, a lock held for a moment) may be retried by the next
      // load()/start()/operation; operations journaled meanwhile wait in `pending`.
      loading = null;
      throw e;
    });
    return loading;
  };

  const waitForState = (target: XcapState): Promise<void> =>
    new Promise((resolve) => {
      if (state === target) return resolve();
      const l = (step: MachineStep): void => {
        if (step.context.state === target) {
          stepListeners.delete(l);
          resolve();
        }
      };
      stepListeners.add(l);
    });

  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | null = null;
  /** What the last start()/stop() call asked for: a start queued behind a stop obeys it. */
  let wanted: 'running' | 'stopped' = 'stopped';
  /** start()/stop() calls of the application (an account switch makes its own). */
  let calls = 0;
  const start = (): Promise<void> => {
    wanted = 'running';
    if (starting) return starting;
    if (state !== 'stopped' && !stopping) return Promise.resolve();
    starting = (async () => {
      try {
        // A start during a stop waits for it (start and stop may be called as needed).
        if (stopping) await stopping;
        await load();
        if (state !== 'stopped' || wanted !== 'running') return;
        lifecycle$.next('willStart');
        input$.next({ type: 'started', settings: settings! });
        lifecycle$.next('didStart');
      } finally {
        starting = null;
      }
    })();
    return starting;
  };

  const stop = (): Promise<void> => {
    wanted = 'stopped';
    if (stopping) return stopping;
    stopping = (async () => {
      try {
        // A start() that fails (storage) leaves nothing to stop: its error is the caller of start()'s.
        if (starting) await starting.catch(() => undefined);
        if (state === 'stopped') {
          // Still flush pending writes (journal saved by operations while stopped).
          await writes.idle();
          return;
        }
        lifecycle$.next('willEnd');
        const stopped = waitForState('stopped');
        input$.next({ type: 'stopRequested' });
        await stopped;
        await writes.idle();
        lifecycle$.next('didEnd');
      } finally {
        stopping = null;
      }
    })();
    return stopping;
  };

  // --- journal and transactions -----------------------------------------------------------
  const append = (entries: JournalEntry[]): void => {
    if (entries.length === 0) return;
    if (loaded) {
      input$.next({ type: 'journalAppended', entries });
      return;
    }
    // Not loaded yet: the stored journal must come first; load now and append after it.
    pending.push(...entries);
    load().catch((e: unknown) => error$.next(toXcapError(e, 'storage')));
  };
  const tx = transactionQueue(append);
  const journal = (operation: OperationData): void => {
    // Unknown ids are refused synchronously and nothing is journaled. Before any
    // data is known (nothing cached, no sync yet) there is nothing to check against.
    known?.check(operation as Operation);
    // An edit that would make a document larger than every reader reads is refused too
    // (XcapWriteLimitError), counting what is journaled and what the open transaction holds.
    budget.check(operation as Operation);
    known?.apply(operation as Operation);
    budget.apply(operation as Operation);
    tx.add({ id: generateId(), operation });
  };

  return {
    state$: state$.asObservable(),
    capabilities$: capabilities$.value$,
    addressbook$: addressbook$.value$,
    presenceRules$: presenceRules$.value$,
    dialogRules$: dialogRules$.value$,
    icon$: icon$.value$,
    offlineStatus$: offlineStatus$.value$,
    lifecycle$: lifecycle$.asObservable(),
    error$: error$.asObservable(),
    trace$: trace$.asObservable(),
    get state() {
      return state;
    },
    load,
    start: () => {
      calls++;
      return start();
    },
    stop: () => {
      calls++;
      return stop();
    },
    close: async () => {
      calls++;
      await stop();
      if (options.storage === undefined) await storage.close();
    },
    // An operation journaled before load() completes is saved after it: wait for both.
    flush: async () => {
      if (loading !== null) await loading.catch(() => undefined);
      await writes.idle();
    },
    transaction: tx.transaction,
    startTransaction: tx.startTransaction,
    commitTransaction: tx.commitTransaction,
    ...operationMethods(journal),
  };
}
