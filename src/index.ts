/**
 * rxcap: an offline-first XCAP client (RFC 4825) for TypeScript, built on RxJS.
 *
 * This is the universal entry: the manager, the model, the low-level XcapClient, the codecs,
 * the journal operations, the memory store and the xcap-diff subscription over WebSocket. Node
 * gets `./node.ts` instead (the package's `node` export condition), which adds the file store,
 * DNS, SIP over TCP/TLS and Node defaults for `createXcapManager`.
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
 */
export * from './client/index.js';
export * from './codecs/index.js';
// Both the codecs and the journal/model name these; the codec's forms are the public ones.
export { DIALOG_RULES, type SubHandling } from './codecs/index.js';
export { XcapError, XcapValidationError } from './errors.js';
export * from './journal/index.js';
export {
  canonicalAccount,
  createXcapManager,
  type LifecycleEvent,
  type StateChange,
  type XcapManager,
  XcapManagerClosedError,
  type XcapManagerOptions,
  XcapNotDurableError,
  XcapSettingsError,
  type XcapTransaction,
} from './manager.js';
export {
  type ClientOptions,
  clientFactory,
  DEFAULT_BACKOFF,
  DEFAULT_POLL_PERIOD,
  defaultEngine,
  noDns,
} from './manager-defaults.js';
export * from './model/index.js';
export * from './operators/poll-while.js';
export * from './operators/retry-backoff.js';
export * from './sip/index.js';
export * from './store/index.js';
export * from './streams/errors.js';
export type { XcapState } from './streams/events.js';
export type {
  BackoffPolicy,
  Capabilities,
  Connection,
  DiffDocument,
  DiffEvent,
  DiffPatchTrust,
  DiffPort,
  DiffSettings,
  DiffState,
  DnsPort,
  HttpFactory,
  TraceEntry,
  XcapHttp,
} from './streams/ports.js';
export { unavailableDiffPort } from './streams/ports.js';
export type { AccountSettings } from './streams/settings.js';
