/**
 * The public types of the manager facade: its options and its interface.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { XcapError } from '../errors.js';
import type { operations } from '../journal/index.js';
import type { ClientOptions } from '../manager-defaults.js';
import type { Addressbook, DialogRules, PresenceRules, SubHandling } from '../model/addressbook.js';
import type { Contact } from '../model/contact.js';
import type { ContactURI } from '../model/contact-uri.js';
import type { Group } from '../model/group.js';
import type { Icon } from '../model/icon.js';
import type { OfflineStatus, PidfLike } from '../model/offline-status.js';
import type { Policy } from '../model/policy.js';
import type { StoragePort } from '../store/storage-port.js';
import type { XcapState } from '../streams/events.js';
import type {
  BackoffPolicy,
  Capabilities,
  DiffPort,
  DnsPort,
  DocumentEngine,
  HttpFactory,
  TraceEntry,
} from '../streams/ports.js';
import type { ElementWritesSetting } from '../streams/server-knowledge.js';
import type { AccountSettings } from '../streams/settings.js';
import type { PendingEdit, XcapLocalViews } from './local-types.js';
import type { XcapSnapshot } from './snapshot.js';
import type { XcapStatus } from './status.js';
import type { XcapTransaction } from './transactions.js';

/**
 * Options of {@link createXcapManager}.
 *
 * @example createXcapManager({ account, storage: memoryStorage(), pollPeriod: 60_000 });
 */
export interface XcapManagerOptions {
  /** The account, or an Observable of it for live settings changes. */
  readonly account: AccountSettings | Observable<AccountSettings>;
  /**
   * Where the cache and the journal live. Default in Node (`rxcap`'s `node` condition):
   * `fileStorage(defaultStoreDirectory())`, i.e. `$RXCAP_STORE_DIR` or `~/.rxcap`; elsewhere
   * `memoryStorage()` (nothing survives a reload).
   */
  readonly storage?: StoragePort;
  /** All time (retries, polling, timeouts) goes through it. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Builds the XCAP client of a connection. Default: a memoized `XcapClient`. */
  readonly http?: HttpFactory;
  /** Options for the default XcapClient (ignored with `http`). */
  readonly client?: ClientOptions;
  /**
   * The xcap-diff subscription. Default in Node: `nodeSipDiffPort()` (SIP over WebSocket, TCP or
   * TLS); elsewhere none (documents are polled every `pollPeriod`).
   */
  readonly sip?: DiffPort;
  /** TXT lookups when `xcap.root` is not set. Default in Node: `nodeDns()`; elsewhere none. */
  readonly dns?: DnsPort;
  /** Backoff of transient failures. Default 1 s doubling to 5 min, half jitter. */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Polling period while xcap-diff is down, ms. Default 120000 (2 minutes, like sipsimple). */
  readonly pollPeriod?: number;
  /** Randomness for the jitter, in [0, 1). */
  readonly random?: () => number;
  /**
   * Element-level writes (RFC 4825 §7.4–7.6): `'auto'` (default) sends them to servers rxcap
   * recognizes by their `Server` header (Kamailio's xcap_server) when they are smaller than the
   * document; `'off'` always PUTs whole documents; a profile (`RFC4825_SERVER`) says how the
   * server applies them. A server that refuses one gets whole documents for the session.
   */
  readonly elementWrites?: ElementWritesSetting;
  /**
   * Document functions (tests). Default: src/codecs + src/journal. The update refuses to write
   * over a document of another application whatever the engine.
   */
  readonly engine?: DocumentEngine;
}

/**
 * A state change (sipsimple's XCAPManagerDidChangeState notification).
 *
 * @example manager.state$.subscribe(({ prev, state }: StateChange) => console.log(`${prev} -> ${state}`));
 */
export interface StateChange {
  readonly prev: XcapState | null;
  readonly state: XcapState;
}

/**
 * The lifecycle notifications, like sipsimple's XCAPManagerWillStart / DidStart / WillEnd / DidEnd.
 *
 * @example manager.lifecycle$.subscribe((e: LifecycleEvent) => e === 'didEnd' && cleanUp());
 */
export type LifecycleEvent = 'willStart' | 'didStart' | 'willEnd' | 'didEnd';

/**
 * The XCAP manager: the TypeScript counterpart of sipsimple's XCAPManager.
 *
 * @example
 * ```ts
 * const manager = createXcapManager({ account: { id: 'alice@example.com', auth: { password } ,
 *   xcap: { root: 'https://xcap.example.com/xcap-root' } } });
 * manager.addressbook$.subscribe((ab) => render(ab));
 * await manager.load(); await manager.start();
 * manager.addContact(new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }));
 * ```
 */
export interface XcapManager {
  readonly state$: Observable<StateChange>;
  /**
   * The state explained, for a UI: connectivity to the XCAP server with the last typed error,
   * failures in a row and when the next retry is due, the xcap-diff subscription and the
   * polling period in force, the number of edits not yet on the server, the time of the last
   * sync and a one-line `hint`. Hot, replays its latest value, emits on every change.
   *
   * @example manager.status$.subscribe((s) => (statusLine.text = s.hint));
   */
  readonly status$: Observable<XcapStatus>;
  readonly capabilities$: Observable<Capabilities>;
  readonly addressbook$: Observable<Addressbook>;
  readonly presenceRules$: Observable<PresenceRules>;
  readonly dialogRules$: Observable<DialogRules>;
  readonly icon$: Observable<Icon | null>;
  readonly offlineStatus$: Observable<OfflineStatus | null>;
  readonly lifecycle$: Observable<LifecycleEvent>;
  readonly error$: Observable<XcapError>;
  /**
   * Every HTTP exchange: method, URL, status, ETag, size. Never credentials or bodies. Hot
   * without replay (a log, unlike the state streams).
   */
  readonly trace$: Observable<TraceEntry>;
  /**
   * The local views: the confirmed data with every edit not yet on the server applied, each
   * such item marked pending; they emit synchronously after each edit, also offline and with
   * nothing cached (the top-level data streams emit only when a sync completes).
   */
  readonly local: XcapLocalViews;
  /**
   * The edits not yet on the server, each `waiting`, `sending` or `rejected` (once, with its
   * error, before it is dropped). Replays its latest value; `[]` when everything is synced.
   */
  readonly pending$: Observable<readonly PendingEdit[]>;
  /** The current state. */
  readonly state: XcapState;
  /**
   * Every stream's latest value as one immutable object, synchronously: the same object until
   * a stream emits something new (what React's `useSyncExternalStore` and Angular's signals
   * need). Subscribes to the streams on first use.
   *
   * @example const { state, addressbook } = manager.getSnapshot();
   */
  getSnapshot(): XcapSnapshot;
  /**
   * Calls `onChange` (no arguments) after each change of {@link XcapManager.getSnapshot}'s
   * value; returns the function that stops it. Bound: pass `manager.subscribe` as it is.
   *
   * @example const snapshot = useSyncExternalStore(manager.subscribe, manager.getSnapshot);
   */
  subscribe(onChange: () => void): () => void;
  /**
   * Loads the cache and the journal (once per account); data streams emit when the cache has
   * data. A corrupt document cache is dropped (reported on `error$`, refetched at the next sync);
   * a journal record that fails its operation's validation is refused (an
   * `XcapJournalRecordError` on `error$`, the record kept aside in the store) and the others
   * load; a journal that cannot be read at all rejects and is never dropped.
   */
  load(): Promise<void>;
  /** Starts syncing; resolves after `didStart` (not after the first sync: see `whenInSync`). */
  start(): Promise<void>;
  /**
   * Resolves the next time the manager is `insync` with nothing pending (no journaled edit
   * left, none waiting for the store to load), at once if it is now. Keeps waiting while it
   * works or retries a failure that may pass (network, timeout, 5xx: see `status$`). Rejects
   * when only the application can help:
   * - with the failure itself when it waits for new settings: the credentials were refused
   *   (`XcapHttpError` 401/403, `XcapAuthError`), no XCAP server or a missing application at
   *   the root (`XcapCapabilitiesError`), the account stream failed or ended without a value
   *   (`XcapSettingsError`), the account's store could not be loaded;
   * - with `XcapStoppedError` (`RXCAP_STOPPED`) when the manager is not started or `stop()`
   *   is called before it is in sync;
   * - with `XcapManagerClosedError` once it is closing or closed.
   *
   * @example
   * ```ts
   * await manager.start();
   * manager.addContact(bob);
   * await manager.whenInSync(); // bob is on the server
   * ```
   */
  whenInSync(): Promise<void>;
  /** Stops; resolves when the xcap-diff subscription is terminated and writes have ended. */
  stop(): Promise<void>;
  /**
   * Final: stops, waits for the store's writes, releases the store the manager made itself (a
   * `storage` passed in stays open, it is the application's), ends the settings subscription
   * and completes every stream. Every later call rejects (or throws) `XcapManagerClosedError`.
   */
  close(): Promise<void>;
  /**
   * Resolves once every operation made before the call is durable in the store: after
   * `addContact(...)` then `await flush()`, the operation survives a crash of the process.
   * Rejects with `XcapNotDurableError` when the journal write fails (disk full, store locked by
   * another owner, store not loadable); the operation stays journaled in memory and its write is
   * retried with backoff until the store takes it. Operations held by an open transaction are
   * not made yet: they count once committed.
   */
  flush(): Promise<void>;
  /**
   * Runs `fn` as one transaction, all-or-nothing: the operations it makes (through `tx`, or
   * through the manager while `fn` runs synchronously) are journaled together when it returns,
   * or when its returned Promise resolves; if `fn` throws or its Promise rejects, none of them is
   * journaled and the error is rethrown. Nested calls join the enclosing transaction.
   */
  transaction<T>(fn: (tx: XcapTransaction) => T): T;
  /**
   * Opens a transaction owned by the caller: operations made through the returned handle are
   * held until `tx.commit()` (or dropped by `tx.rollback()`); operations made through the
   * manager meanwhile are not captured.
   */
  startTransaction(): XcapTransaction;
  /** Commits `tx` (default: the most recent open one from `startTransaction()`). */
  commitTransaction(tx?: XcapTransaction): void;
  addGroup(group: Group): void;
  updateGroup(group: Group | string, changes: Parameters<typeof operations.updateGroup>[1]): void;
  removeGroup(group: Group | string): void;
  addContact(contact: Contact): void;
  updateContact(
    contact: Contact | string,
    changes: Parameters<typeof operations.updateContact>[1],
  ): void;
  removeContact(contact: Contact | string): void;
  addContactUri(contact: Contact | string, uri: ContactURI): void;
  updateContactUri(
    contact: Contact | string,
    uri: ContactURI | string,
    changes: Parameters<typeof operations.updateContactUri>[2],
  ): void;
  removeContactUri(contact: Contact | string, uri: ContactURI | string): void;
  addGroupMember(group: Group | string, contact: Contact | string): void;
  removeGroupMember(group: Group | string, contact: Contact | string): void;
  addPolicy(policy: Policy): void;
  updatePolicy(
    policy: Policy | string,
    changes: Parameters<typeof operations.updatePolicy>[1],
  ): void;
  removePolicy(policy: Policy | string): void;
  /**
   * The handling of watchers no rule names (RFC 5025 §3.2.1 sub-handling); `allow` writes
   * `wp_prs_allow_unlisted`, the others `wp_prs_unlisted`.
   */
  setDefaultPresencePolicy(policy: SubHandling): void;
  /** The handling of dialog watchers no rule names (sub-handling values as for presence). */
  setDefaultDialogPolicy(policy: SubHandling): void;
  setStatusIcon(icon: Icon | null): void;
  setOfflineStatus(status: OfflineStatus<PidfLike> | null): void;
}
