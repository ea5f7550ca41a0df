/**
 * rxcap: an offline-first XCAP client (RFC 4825) for TypeScript, built on RxJS.
 *
 * This is the universal entry, curated to what applications use: the manager and its
 * options, the data model, the memory store, the low-level `XcapClient` with node selectors,
 * the xcap-diff subscription over WebSocket, and every error class. Node gets `./node.ts`
 * instead (the package's `node` export condition), which adds the file store, DNS, SIP over
 * TCP/TLS and Node defaults for `createXcapManager`. The building blocks are reachable
 * through subpaths: `rxcap/client` (URIs, Digest, ETags, node selector internals),
 * `rxcap/codecs` (XML and one codec per XCAP application), `rxcap/journal` (operations,
 * normalize, extraction), `rxcap/sip` (the subscription machine and sip.js port),
 * `rxcap/store` (storage port, document cache, journal store), `rxcap/ports` (the manager's
 * ports, default engine and retry policy), `rxcap/machines` (the pure state machines),
 * `rxcap/operators` (RxJS operators) and `rxcap/testing`.
 *
 * @example
 * ```ts
 * import { createXcapManager, Contact, ContactURI } from 'rxcap';
 * const manager = createXcapManager({ account: { id: 'alice@example.com', auth: { password },
 *   xcap: { root: 'https://xcap.example.com/xcap-root' } } });
 * manager.addressbook$.subscribe((book) => render(book.contacts));
 * await manager.load();
 * await manager.start();
 * manager.addContact(new Contact({ name: 'Bob', uris: [new ContactURI({ uri: 'sip:bob@example.com' })] }));
 * ```
 *
 * @packageDocumentation
 */

// Errors: every class the README's error table names.
export {
  XcapAuthError,
  XcapHttpError,
  XcapNetworkError,
  XcapNodeSelectorError,
  XcapResponseTooLargeError,
  XcapTimeoutError,
} from './client/errors.js';
// The low-level client.
export { fetchTransport } from './client/fetch-transport.js';
export { NodeSelector, nodeSelector } from './client/node-selector.js';
export type { HttpTransport } from './client/transport.js';
export {
  XcapClient,
  type XcapClientOptions,
  type XcapPutOptions,
  type XcapRequestOptions,
  type XcapResource,
  type XcapResponse,
} from './client/xcap-client.js';
// The data model.
export { Pidf } from './codecs/pidf.js';
export { XcapDiffParseError } from './codecs/xcap-diff.js';
export { XcapDiffPatchError } from './codecs/xcap-diff-patch.js';
export { XcapCodecError } from './codecs/xml/codec-error.js';
export { XmlForbiddenError, XmlLimitError, XmlParseError } from './codecs/xml/errors.js';
export { XcapError, XcapValidationError } from './errors.js';
export { XcapUnknownIdError } from './journal/known-ids.js';
export { XcapWriteLimitError } from './journal/write-budget.js';
// The manager.
export {
  canonicalAccount,
  createXcapManager,
  type DroppedEditError,
  type ElementWritesSetting,
  type ExternalStore,
  type LifecycleEvent,
  type LocalAddressbook,
  type LocalValue,
  type PendingEdit,
  type PendingEditState,
  type StateChange,
  type XcapConnectivity,
  type XcapDiffStatus,
  type XcapLocalSnapshot,
  type XcapLocalViews,
  type XcapManager,
  XcapManagerClosedError,
  type XcapManagerOptions,
  XcapNotDurableError,
  type XcapServerProfile,
  XcapSettingsError,
  type XcapSnapshot,
  type XcapStatus,
  XcapStoppedError,
  type XcapTransaction,
} from './manager.js';
export { DEFAULT_BACKOFF } from './manager-defaults.js';
export {
  Addressbook,
  type Attributes,
  Contact,
  ContactURI,
  DialogRules,
  EventHandling,
  Group,
  Icon,
  OfflineStatus,
  Policy,
  PresenceRules,
  type SubHandling,
} from './model/index.js';
// xcap-diff over SIP (WebSocket; Node adds TCP and TLS).
// sipConnectionPool (shared SIP connections for services) is on the rxcap/sip subpath, and the
// element-write server profiles (KAMAILIO_XCAP_SERVER, RFC4825_SERVER) on rxcap/ports: the main
// entry stays curated.
export { type SipDiffPortOptions, sipDiffPort } from './sip/index.js';
export { SipUnavailableError } from './sip/sipjs-dialog-port.js';
export {
  XcapStoreClosedError,
  XcapStoreCorruptError,
  XcapStoreIoError,
  XcapStoreLockedError,
} from './store/errors.js';
// Storage.
export { memoryStorage } from './store/memory-storage.js';
export type { StoragePort } from './store/storage-port.js';
export {
  XcapCapabilitiesError,
  XcapOperationDroppedError,
  XcapOperationRejectedError,
  XcapSyncError,
} from './streams/errors.js';
export type { XcapState } from './streams/events.js';
export type {
  BackoffPolicy,
  Capabilities,
  DiffPort,
  DnsPort,
  HttpFactory,
  TraceEntry,
} from './streams/ports.js';
export type { AccountSettings } from './streams/settings.js';
