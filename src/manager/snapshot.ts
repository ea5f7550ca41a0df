/**
 * The manager's snapshot: its type and which stream feeds which field of
 * `manager.getSnapshot()`.
 */
import { map, type Observable } from 'rxjs';
import type { Addressbook, DialogRules, PresenceRules } from '../model/addressbook.js';
import type { Icon } from '../model/icon.js';
import type { OfflineStatus } from '../model/offline-status.js';
import type { XcapState } from '../streams/events.js';
import type { Capabilities } from '../streams/ports.js';
import type { LocalAddressbook, LocalValue, PendingEdit, XcapLocalViews } from './local-types.js';
import { type ExternalStore, snapshotStore } from './snapshot-store.js';
import type { XcapStatus } from './status.js';
import type { XcapManager } from './types.js';

/** A stream whose field is `undefined` while it has no value (no data yet, another account). */
type Current<S> = S extends Observable<infer V> ? Observable<V | undefined> : never;
/** The streams that always have a value. */
type Always = 'state$' | 'status$' | 'pending$';

/**
 * The manager's streams as the snapshot reads them: each replays its current value at once;
 * a data stream replays `undefined` when there is none (before the first data, after a switch
 * to another account).
 *
 * @example const sources: SnapshotSources = { ...manager, addressbook$: current$ /* ... *\/ };
 */
export type SnapshotSources = {
  readonly [K in keyof XcapManager as K extends `${string}$` ? K : never]: K extends Always
    ? XcapManager[K]
    : Current<XcapManager[K]>;
} & { readonly local: { readonly [K in keyof XcapLocalViews]: Current<XcapLocalViews[K]> } };

/**
 * The local views in a snapshot (as on `manager.local`): the server's data with every edit not
 * yet on the server applied, each such item marked pending.
 *
 * @example const { value, pendingIds } = manager.getSnapshot().local.addressbook ?? {};
 */
export interface XcapLocalSnapshot {
  readonly addressbook: LocalAddressbook | undefined;
  readonly presenceRules: LocalValue<PresenceRules> | undefined;
  readonly dialogRules: LocalValue<DialogRules> | undefined;
  readonly icon: LocalValue<Icon | null> | undefined;
  readonly offlineStatus: LocalValue<OfflineStatus | null> | undefined;
}

/**
 * Every stream's latest value at one moment, as one immutable object. A data field is
 * `undefined` while the manager has no data for it yet (before the cache loads or the first
 * fetch, after a switch to another account); a `null` icon or offline status means the server
 * has none. `manager.getSnapshot()` returns the same object until one of them changes, and an
 * unchanged part (`local` among them) keeps its reference.
 *
 * @example
 * ```ts
 * const { status, local } = manager.getSnapshot();
 * if (local.addressbook) render(local.addressbook.value.contacts, local.addressbook.pendingIds);
 * statusLine.text = status.hint;
 * ```
 */
export interface XcapSnapshot {
  /** The manager's state (`insync`, `fetching`, ...), as on `state$`. */
  readonly state: XcapState;
  /** The state explained (connectivity, failures, next retry, xcap-diff, hint), as on `status$`. */
  readonly status: XcapStatus;
  /** The edits not yet on the server, as on `pending$`. */
  readonly pending: readonly PendingEdit[];
  /** The server's capabilities, as on `capabilities$`. */
  readonly capabilities: Capabilities | undefined;
  /** The addressbook as last synced with the server, as on `addressbook$`. */
  readonly addressbook: Addressbook | undefined;
  /** As on `presenceRules$`. */
  readonly presenceRules: PresenceRules | undefined;
  /** As on `dialogRules$`. */
  readonly dialogRules: DialogRules | undefined;
  /** As on `icon$` (`null`: none on the server). */
  readonly icon: Icon | null | undefined;
  /** As on `offlineStatus$` (`null`: none on the server). */
  readonly offlineStatus: OfflineStatus | null | undefined;
  /** The local views, as on `manager.local`: what the user sees right after an edit. */
  readonly local: XcapLocalSnapshot;
}

/** The streams that feed a snapshot of type `S`, one per field (`local`: a nested group). */
type SnapshotFieldsOf<S> = {
  readonly [K in keyof S]-?: K extends 'local' ? SnapshotFieldsOf<S[K]> : Observable<S[K]>;
};

/**
 * Which stream feeds which field of {@link XcapSnapshot}: one line per field (the compiler
 * refuses a field of the interface without its line, and a line without its field).
 *
 * @example const store = snapshotStore(snapshotFields(sources));
 */
export const snapshotFields = (m: SnapshotSources): SnapshotFieldsOf<XcapSnapshot> => ({
  state: m.state$.pipe(map((c) => c.state)),
  status: m.status$,
  pending: m.pending$,
  capabilities: m.capabilities$,
  addressbook: m.addressbook$,
  presenceRules: m.presenceRules$,
  dialogRules: m.dialogRules$,
  icon: m.icon$,
  offlineStatus: m.offlineStatus$,
  local: {
    addressbook: m.local.addressbook$,
    presenceRules: m.local.presenceRules$,
    dialogRules: m.local.dialogRules$,
    icon: m.local.icon$,
    offlineStatus: m.local.offlineStatus$,
  },
});

/**
 * The manager's external store, created on first use (a manager no UI reads subscribes to
 * nothing, and its local views are not computed) and living as long as the manager's
 * streams: they complete when it closes.
 *
 * @example const { getSnapshot, subscribe } = lazySnapshot(() => sources);
 */
export function lazySnapshot(sources: () => SnapshotSources): ExternalStore<XcapSnapshot> {
  let store: ExternalStore<XcapSnapshot> | null = null;
  const get = (): ExternalStore<XcapSnapshot> => {
    store ??= snapshotStore(snapshotFields(sources()));
    return store;
  };
  return {
    getSnapshot: () => get().getSnapshot(),
    subscribe: (onChange) => get().subscribe(onChange),
  };
}
