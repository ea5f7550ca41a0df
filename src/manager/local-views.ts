/**
 * The local views and the pending edits: the server-confirmed documents with every journaled
 * edit applied (by the engine's own `apply`, the one the update pipeline runs, then
 * `extractData`), and the journal as a list of edits with their state. Both are derived from the
 * actor's steps; the views are computed only while someone watches them, once per step (a
 * transaction's edits arrive in one step: one apply and one extraction for all of them).
 */
import { Observable, ReplaySubject } from 'rxjs';
import { DOCUMENT_NAMES, type DocumentName } from '../codecs/applications.js';
import type { XcapError } from '../errors.js';
import { type ExtractedData, extractData } from '../journal/extract.js';
import type { Operation } from '../journal/operations.js';
import {
  toXcapError,
  XcapOperationDroppedError,
  XcapOperationRejectedError,
} from '../streams/errors.js';
import type { JournalEntry } from '../streams/events.js';
import type { DocumentEngine, SyncDocuments } from '../streams/ports.js';
import { NORMALIZE_ID_PREFIX } from '../streams/transition-commands.js';
import { extractInput, resettableReplay } from './data.js';
import type {
  DroppedEditError,
  LocalAddressbook,
  LocalValue,
  PendingEdit,
  XcapLocalViews,
} from './local-types.js';
import { journaledEntries } from './machine.js';
import type { ManagerCommand, ManagerContext } from './machine-types.js';

/**
 * The user's edits not yet on the server, in journal order: the loaded journal and the
 * operations held until the store is loaded, without the machine's own normalize operations.
 *
 * @example pendingEntries(context).length // "3 changes not synced"
 */
export function pendingEntries(context: ManagerContext): readonly JournalEntry[] {
  return journaledEntries(context).filter((e) => !e.id.startsWith(NORMALIZE_ID_PREFIX));
}

/**
 * The ids of the addressbook items an operation names (the item it adds or edits; a group for
 * its members).
 *
 * @example idsNamedBy(operations.addGroupMember(friends, bob)) // [friends.id]
 */
export function idsNamedBy(op: Operation): readonly string[] {
  switch (op.type) {
    case 'addContact':
      return [op.contact.id];
    case 'addGroup':
      return [op.group.id];
    case 'addPolicy':
      return [op.policy.id];
    case 'updateContact':
    case 'removeContact':
    case 'addContactUri':
    case 'updateContactUri':
    case 'removeContactUri':
      return [op.contactId];
    case 'updateGroup':
    case 'removeGroup':
    case 'addGroupMember':
    case 'removeGroupMember':
      return [op.groupId];
    case 'updatePolicy':
    case 'removePolicy':
      return [op.policyId];
    default:
      return [];
  }
}

/** The operation types that edit one of the other local streams (the rest edit the addressbook). */
const STREAM_OF: Readonly<Record<string, keyof Omit<ExtractedData, 'addressbook'>>> = {
  setDefaultPresencePolicy: 'presenceRules',
  setDefaultDialogPolicy: 'dialogRules',
  setStatusIcon: 'icon',
  setOfflineStatus: 'offlineStatus',
};

/** The local data: every stream's value and whether a pending edit changes it. */
export interface LocalData {
  readonly addressbook: LocalAddressbook;
  readonly presenceRules: LocalValue<ExtractedData['presenceRules']>;
  readonly dialogRules: LocalValue<ExtractedData['dialogRules']>;
  readonly icon: LocalValue<ExtractedData['icon']>;
  readonly offlineStatus: LocalValue<ExtractedData['offlineStatus']>;
}

/**
 * The local data of a context: its documents (the server's, as last seen; absent ones as empty)
 * with `entries` applied by `engine.apply` after the same document check as the update
 * pipeline's, then extracted. Before the server's capabilities are known every document is
 * assumed supported, so that an account with nothing cached shows its edits at once. Null when
 * nothing can be shown (no settings yet, or neither a loaded cache nor an edit).
 *
 * @example const data = localData(context, pendingEntries(context), defaultEngine, checkDocumentRoots);
 */
export function localData(
  context: ManagerContext,
  entries: readonly JournalEntry[],
  engine: Pick<DocumentEngine, 'apply'>,
  checkRoots: (docs: SyncDocuments) => SyncDocuments,
): LocalData | null {
  const settings = context.settings;
  if (settings === null || (context.load !== 'loaded' && entries.length === 0)) return null;
  const documents = context.sync.documents;
  const discovery = context.sync.discovery;
  const supported: readonly DocumentName[] = discovery?.supported ?? DOCUMENT_NAMES;
  const { ctx, meta } = extractInput(documents, discovery, settings, new Set(supported));
  let docs: SyncDocuments = {};
  for (const n of supported) docs[n] = documents[n]?.root ?? null;
  // Every journaled entry is applied, normalize included: the view is what the update writes.
  const all = journaledEntries(context);
  if (all.length > 0) {
    try {
      docs = engine.apply(
        checkRoots(docs),
        all.map((e) => e.operation),
        ctx,
      ).docs;
    } catch {
      // A held document rxcap refuses (a foreign root): the update reports it and refetches;
      // until then the view shows the documents without the edits (still marked pending).
    }
  }
  const data = extractData(docs, ctx, meta);
  const ids = new Set<string>();
  const touched = new Set<string>();
  for (const e of entries) {
    const op = e.operation as Operation;
    touched.add(STREAM_OF[op.type] ?? 'addressbook');
    for (const id of idsNamedBy(op)) ids.add(id);
  }
  const local = <K extends keyof LocalData>(name: K) => ({
    value: data[name],
    pending: touched.has(name),
  });
  return {
    addressbook: { ...local('addressbook'), pendingIds: ids },
    presenceRules: local('presenceRules'),
    dialogRules: local('dialogRules'),
    icon: local('icon'),
    offlineStatus: local('offlineStatus'),
  } as LocalData;
}

/**
 * The pending edits of a context: `sending` when the running update carries them, else
 * `waiting`.
 *
 * @example pendingEdits(pendingEntries(context), new Set(updateCommand.entries.map((e) => e.id)))
 */
export function pendingEdits(
  entries: readonly JournalEntry[],
  sending: ReadonlySet<string>,
): PendingEdit[] {
  return entries.map((e) => ({
    id: e.id,
    operation: e.operation as Operation,
    state: sending.has(e.id) ? 'sending' : 'waiting',
  }));
}

/** An error that drops an edit from the journal. */
function droppedEdit(e: XcapError): DroppedEditError | null {
  return e instanceof XcapOperationRejectedError || e instanceof XcapOperationDroppedError
    ? e
    : null;
}

/** A view's stream that replays `undefined` while it has no value. */
type CurrentOf<S> = S extends Observable<infer V> ? Observable<V | undefined> : never;

const NAMES = ['addressbook', 'presenceRules', 'dialogRules', 'icon', 'offlineStatus'] as const;

/** A key that changes when a local value does (its JSON, its pending mark, its pending ids). */
function keyOf(v: LocalValue<unknown> & { pendingIds?: ReadonlySet<string> }): string {
  return JSON.stringify([v.value ?? null, v.pending, v.pendingIds ? [...v.pendingIds] : null]);
}

/**
 * The local views and `pending$` of one manager, fed with every step of its actor.
 *
 * @example
 * ```ts
 * const views = localViews({ engine, checkRoots, reportError: (e) => error$.next(e) });
 * actor$.subscribe((step) => views.step(step.context, step.commands));
 * views.local.addressbook$.subscribe(render);
 * ```
 */
export function localViews(deps: {
  readonly engine: Pick<DocumentEngine, 'apply'>;
  readonly checkRoots: (docs: SyncDocuments) => SyncDocuments;
  readonly reportError: (error: XcapError) => void;
}): {
  readonly local: XcapLocalViews;
  /**
   * The same views, each replaying `undefined` at once while it has no value (nothing loaded
   * yet, another account): what the manager's snapshot reads.
   */
  readonly current: { readonly [K in keyof XcapLocalViews]: CurrentOf<XcapLocalViews[K]> };
  readonly pending$: Observable<readonly PendingEdit[]>;
  /** After each step of the actor, with the step's context and commands. */
  step(context: ManagerContext, commands: readonly ManagerCommand[]): void;
  /** Completes every stream (the manager is closed). */
  complete(): void;
} {
  const boxes = {
    addressbook: resettableReplay<LocalAddressbook>(),
    presenceRules: resettableReplay<LocalData['presenceRules']>(),
    dialogRules: resettableReplay<LocalData['dialogRules']>(),
    icon: resettableReplay<LocalData['icon']>(),
    offlineStatus: resettableReplay<LocalData['offlineStatus']>(),
  };
  const pending$ = new ReplaySubject<readonly PendingEdit[]>(1);
  pending$.next([]);
  const emitted = new Map<string, string>();
  let pendingKey = '';
  let pendingIds: ReadonlySet<string> = new Set();
  let sending: ReadonlySet<string> = new Set();
  let context: ManagerContext | null = null;
  /** What the views were computed from: any change makes them stale. */
  let inputs: readonly unknown[] = [];
  let stale = false;
  let watchers = 0;
  let lastFailure = '';

  const refresh = (): void => {
    if (!stale || context === null) return;
    stale = false;
    let data: LocalData | null;
    try {
      data = localData(context, pendingEntries(context), deps.engine, deps.checkRoots);
    } catch (e) {
      // Reported once per distinct failure: every later edit would repeat it.
      const error = toXcapError(e, 'extract');
      if (error.message !== lastFailure) deps.reportError(error);
      lastFailure = error.message;
      return;
    }
    lastFailure = '';
    if (data === null) return;
    for (const name of NAMES) {
      const value = data[name];
      const key = keyOf(value);
      if (emitted.get(name) === key) continue;
      emitted.set(name, key);
      (boxes[name] as { next(v: typeof value): void }).next(value);
    }
  };

  /** A stream that computes the views when it is subscribed to and they are stale. */
  const view = <T>(value$: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      watchers++;
      refresh();
      const sub = value$.subscribe(subscriber);
      return () => {
        watchers--;
        sub.unsubscribe();
      };
    });

  const emitPending = (edits: readonly PendingEdit[]): void => {
    const key = JSON.stringify(edits.map((e) => [e.id, e.state]));
    if (key === pendingKey) return;
    pendingKey = key;
    pending$.next(Object.freeze(edits));
  };

  return {
    local: {
      addressbook$: view(boxes.addressbook.value$),
      presenceRules$: view(boxes.presenceRules.value$),
      dialogRules$: view(boxes.dialogRules.value$),
      icon$: view(boxes.icon.value$),
      offlineStatus$: view(boxes.offlineStatus.value$),
    },
    current: {
      addressbook$: view(boxes.addressbook.current$),
      presenceRules$: view(boxes.presenceRules.current$),
      dialogRules$: view(boxes.dialogRules.current$),
      icon$: view(boxes.icon.current$),
      offlineStatus$: view(boxes.offlineStatus.current$),
    },
    pending$: pending$.asObservable(),
    step(next, commands) {
      context = next;
      const dropped: DroppedEditError[] = [];
      for (const c of commands) {
        if (c.type === 'update') sending = new Set(c.entries.map((e) => e.id));
        else if (c.type === 'reportError') {
          const d = droppedEdit(c.error);
          if (d !== null && pendingIds.has(d.operationId)) dropped.push(d);
        } else if (c.type === 'forgetData') {
          // Another account: nothing of the previous one may be replayed.
          for (const name of NAMES) boxes[name].reset();
          emitted.clear();
        }
      }
      // Sent only while an update runs; a failed one waits for its retry.
      if (next.sync.state !== 'updating' || next.sync.blocked !== null) sending = new Set();
      const sync = next.sync;
      const now = [
        sync.documents,
        sync.discovery,
        sync.journal,
        next.held,
        next.settings,
        next.load,
      ];
      if (now.some((v, i) => v !== inputs[i])) stale = true;
      inputs = now;
      if (watchers > 0) refresh();
      const entries = pendingEntries(next);
      pendingIds = new Set(entries.map((e) => e.id));
      const edits = pendingEdits(entries, sending);
      if (dropped.length > 0) {
        // Shown once as rejected, then gone (the error is on error$ as well).
        emitPending([
          ...dropped.map(
            (error): PendingEdit => ({
              id: error.operationId,
              operation: error.operation as Operation,
              state: 'rejected',
              error,
            }),
          ),
          ...edits,
        ]);
      }
      emitPending(edits);
    },
    complete() {
      for (const name of NAMES) boxes[name].complete();
      pending$.complete();
    },
  };
}
