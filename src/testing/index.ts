/**
 * `rxcap/testing`: what you need to test code that uses rxcap.
 *
 * - {@link createInMemoryXcapServer}: an XCAP server in memory, as the manager's `http` and
 *   `sip` ports (xcap-diff notifications of every change included), or over real HTTP with
 *   Digest (`server.listen()`) for end-to-end tests of `XcapClient`, the manager or the CLI.
 *   `setDocument()` plays another device writing; `failNext()` a failing server.
 * - {@link fakeXcapManager} and {@link stateValues}: a manager whose streams you script with
 *   `TestScheduler` marbles, for tests of your view models and effects.
 * - {@link runStorageContract}: the test suite every rxcap storage adapter passes, for yours.
 *
 * @example
 * ```ts
 * import { createInMemoryXcapServer } from 'rxcap/testing';
 * const server = createInMemoryXcapServer();
 * const manager = createXcapManager({ account: { id: 'alice@example.com', xcap: { root: server.root } },
 *   storage: memoryStorage(), http: server.http, sip: server.diff });
 * ```
 *
 * @packageDocumentation
 */
export {
  type FakeManagerCall,
  type FakeXcapManager,
  fakeXcapManager,
  stateValues,
  type XcapManagerStreams,
} from './fake-xcap-manager.js';
export {
  createInMemoryXcapServer,
  type InMemoryXcapServer,
  type InMemoryXcapServerOptions,
  type RecordedXcapRequest,
  type StoredDocument,
  type XcapHttpListener,
  type XcapServerAnswer,
  type XcapServerRequest,
} from './in-memory-xcap-server.js';
export {
  type ContractMatchers,
  type ContractOptions,
  type ContractSubject,
  type ContractTestApi,
  runStorageContract,
} from './storage-contract.js';
