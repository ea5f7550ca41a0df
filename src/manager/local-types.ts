/**
 * The public types of the local views (`manager.local`) and of the pending edits
 * (`manager.pending$`): what a UI shows between an edit and the server's confirmation.
 */
import type { Observable } from 'rxjs';
import type { Operation } from '../journal/operations.js';
import type { Addressbook, DialogRules, PresenceRules } from '../model/addressbook.js';
import type { Icon } from '../model/icon.js';
import type { OfflineStatus } from '../model/offline-status.js';
import type { XcapOperationDroppedError, XcapOperationRejectedError } from '../streams/errors.js';

/**
 * One value of a local view: the server-confirmed data with every edit not yet on the server
 * applied, and whether such an edit changes it.
 *
 * @example
 * ```ts
 * manager.local.icon$.subscribe(({ value, pending }: LocalValue<Icon | null>) =>
 *   avatar.show(value, { dimmed: pending }));
 * ```
 */
export interface LocalValue<T> {
  /** The data as it will be once every pending edit is on the server. */
  readonly value: T;
  /** True while an edit that is not on the server yet changes this data. */
  readonly pending: boolean;
}

/**
 * The local addressbook: the confirmed addressbook with every pending edit applied. The
 * contacts, groups and policies that a pending edit adds or changes are named in `pendingIds`;
 * one that a pending edit removes is not in `value` (the confirmed `manager.addressbook$` keeps
 * it until the removal is on the server).
 *
 * @example
 * ```ts
 * manager.local.addressbook$.subscribe(({ value, pendingIds }: LocalAddressbook) =>
 *   contactList.render(value.contacts.map((c) => ({ name: c.name, syncing: pendingIds.has(c.id) }))));
 * ```
 */
export interface LocalAddressbook extends LocalValue<Addressbook> {
  /**
   * Ids of the contacts, groups and policies that a pending edit names (adds, updates, adds a
   * URI or a member to): the UI marks these as not yet on the server.
   */
  readonly pendingIds: ReadonlySet<string>;
}

/**
 * The local views: what the user sees right after an edit, online or not. Each stream
 * replays its latest value and emits when it changes: synchronously when an edit made outside
 * a transaction changes it (for a transaction, at the commit: one value for all its edits),
 * when the cache is loaded (an account with nothing cached shows as empty, with the edits on
 * it) and when a sync brings other devices' changes. They are computed only while subscribed
 * to. The top-level streams (`manager.addressbook$`, ...) stay the server's confirmed data:
 * they emit when a sync completes.
 *
 * @example
 * ```ts
 * manager.local.addressbook$.subscribe(({ value }) => contactList.render(value.contacts));
 * manager.addContact(bob); // contactList shows Bob now, marked pending until the server has him
 * ```
 */
export interface XcapLocalViews {
  readonly addressbook$: Observable<LocalAddressbook>;
  readonly presenceRules$: Observable<LocalValue<PresenceRules>>;
  readonly dialogRules$: Observable<LocalValue<DialogRules>>;
  readonly icon$: Observable<LocalValue<Icon | null>>;
  readonly offlineStatus$: Observable<LocalValue<OfflineStatus | null>>;
}

/**
 * Where a pending edit is: `waiting` (journaled, not being sent: offline, between retries, or
 * queued behind the running update), `sending` (in the update running now) or `rejected` (it
 * will never reach the server; see {@link PendingEdit}).
 *
 * @example const label: Record<PendingEditState, string> = { waiting: '…', sending: '↑', rejected: '✗' };
 */
export type PendingEditState = 'waiting' | 'sending' | 'rejected';

/**
 * Why an edit was dropped: the server refused the document it made (409,
 * `XcapOperationRejectedError`), or it no longer applies (it names a contact, group, policy or
 * URI that does not exist, or a document the server does not offer: `XcapOperationDroppedError`).
 *
 * @example if (edit.state === 'rejected') toast(`${edit.error.code}: ${edit.error.message}`);
 */
export type DroppedEditError = XcapOperationRejectedError | XcapOperationDroppedError;

/**
 * An edit that is not on the server yet: its journal id, the operation as journaled and its
 * state. A dropped edit shows once with state `rejected` and the error (the same error goes to
 * `error$`); the value emitted right after no longer holds it, and the local views no longer
 * show its effect.
 *
 * @example
 * ```ts
 * manager.pending$.subscribe((edits: readonly PendingEdit[]) =>
 *   badge.set(edits.length === 0 ? 'synced' : `${edits.length} changes not synced`));
 * ```
 */
export type PendingEdit =
  | {
      readonly id: string;
      readonly operation: Operation;
      readonly state: 'waiting' | 'sending';
    }
  | {
      readonly id: string;
      readonly operation: Operation;
      readonly state: 'rejected';
      readonly error: DroppedEditError;
    };
