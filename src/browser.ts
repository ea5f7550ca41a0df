/**
 * rxcap for browsers: everything of the universal entry (./index.ts) plus the IndexedDB store,
 * and a `createXcapManager` whose default store is IndexedDB (one owner per account across
 * tabs, through the Web Locks API). HTTP goes through `fetch` (`fetchTransport`, the default of
 * the universal entry). The package's `browser` export condition points here, so
 * `import { createXcapManager } from 'rxcap'` in a bundler targeting browsers gets these
 * defaults; nothing here imports a `node:` module or undici (test/browser-bundle.test.ts).
 *
 * @example
 * ```ts
 * import { createXcapManager, sipDiffPort } from 'rxcap';
 * const manager = createXcapManager({ account, sip: sipDiffPort() });
 * await manager.load(); // the IndexedDB cache and journal: offline edits survive a reload
 * await manager.start();
 * ```
 */
import {
  createXcapManager as createCoreManager,
  type XcapManager,
  type XcapManagerOptions,
} from './manager.js';
import { indexedDbStorage } from './store/indexeddb-storage.js';

export * from './index.js';
export { sharedUserAgentPort, userAgentDiffPort } from './sip/user-agent-diff-port.js';
export {
  type IndexedDbStorageOptions,
  indexedDbStorage,
} from './store/indexeddb-storage.js';

/**
 * `createXcapManager` with browser defaults: when `storage` is not given and the page has
 * IndexedDB, the cache and the journal live in `indexedDbStorage()` (survive a reload; a second
 * tab on the same account gets `XcapStoreLockedError` from `load()`), else in memory. xcap-diff
 * is off unless `sip` is given (`sipDiffPort()` over WebSocket, or `userAgentDiffPort(ua)` to
 * share the page's sip.js UserAgent), so that a page without it does not bundle sip.js.
 *
 * @example
 * ```ts
 * const manager = createXcapManager({
 *   account: { id: 'alice@example.com', auth: { password },
 *              xcap: { root: new URL('/xcap-root', location.href).href }, // an absolute URL
 *              sip: { outboundProxy: 'wss://sip.example.com/ws' } },
 *   sip: sipDiffPort(),
 * });
 * ```
 */
export function createXcapManager(options: XcapManagerOptions): XcapManager {
  const hasIndexedDb = typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'object';
  const owned = options.storage === undefined && hasIndexedDb ? indexedDbStorage() : undefined;
  const manager = createCoreManager({ ...options, storage: options.storage ?? owned });
  if (owned === undefined) return manager;
  // The default store is the manager's: close() releases its account lock for other tabs.
  const close = manager.close;
  return Object.assign(manager, {
    close: async () => {
      await close();
      await owned.close();
    },
  });
}
