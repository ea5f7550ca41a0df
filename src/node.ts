/**
 * rxcap for Node: everything of the universal entry (./index.ts) plus the Node-only adapters —
 * the durable file store, DNS TXT discovery, SIP over TCP/TLS and undici's WebSocket — and a
 * `createXcapManager` whose defaults use them. The package's `node` export condition points
 * here, so `import { createXcapManager } from 'rxcap'` in Node gets these defaults.
 *
 * @example
 * ```ts
 * import { createXcapManager, fileStorage } from 'rxcap';
 * const manager = createXcapManager({ account, storage: fileStorage('/var/lib/my-app/xcap') });
 * ```
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { undiciTransport } from './client/undici-transport.js';
import { XcapClient as CoreXcapClient, type XcapClientOptions } from './client/xcap-client.js';
import { nodeDns } from './dns-node.js';
import {
  createXcapManager as createCoreManager,
  type XcapManager,
  type XcapManagerOptions,
} from './manager.js';
import { clientFactory } from './manager-defaults.js';
import { nodeSipDiffPort } from './sip/node.js';
import { fileStorage } from './store/file-storage.js';

export { undiciTransport } from './client/undici-transport.js';
export { nodeDns } from './dns-node.js';
export {
  createFleet,
  type Fleet,
  type FleetAccountStatus,
  type FleetOptions,
} from './fleet/fleet.js';
export * from './index.js';
export {
  nodeSipDiffPort,
  TcpTransport,
  type TcpTransportOptions,
  TlsTransport,
} from './sip/node.js';
export { sharedUserAgentPort, userAgentDiffPort } from './sip/user-agent-diff-port.js';
export { type FileStorageOptions, fileStorage } from './store/file-storage.js';
export {
  type OwnershipLost,
  type PgPool,
  type PostgresStorage,
  type PostgresStorageOptions,
  postgresStorage,
} from './store/postgres-storage.js';

/**
 * The XCAP client with Node's default transport, undici (keep-alive pools, the `dispatcher`
 * option for custom CAs and proxies). Pass `transport: fetchTransport` to use `fetch` instead.
 *
 * @example
 * ```ts
 * const client = new XcapClient({ root: 'https://xcap.example.com/xcap-root',
 *   xui: 'sip:alice@example.com', password: 's3cret', dispatcher: new Agent({ connections: 4 }) });
 * ```
 */
export class XcapClient extends CoreXcapClient {
  constructor(options: XcapClientOptions) {
    super({ ...options, transport: options.transport ?? undiciTransport });
  }
}

/**
 * Where the Node default store lives: `$RXCAP_STORE_DIR`, else `~/.rxcap`. One directory can
 * hold many accounts; each account's files are locked by the process that uses them.
 *
 * @example defaultStoreDirectory() // '/home/alice/.rxcap'
 */
export function defaultStoreDirectory(): string {
  return process.env.RXCAP_STORE_DIR ?? join(homedir(), '.rxcap');
}

/**
 * `createXcapManager` with Node defaults: `storage` is `fileStorage` in
 * {@link defaultStoreDirectory} (cache and journal survive restarts), `dns` is `nodeDns()`
 * (XCAP root from the TXT record of `xcap.<domain>` when the settings give none), and `sip` is
 * `nodeSipDiffPort()` (xcap-diff over WebSocket, TCP or TLS), and HTTP goes through undici
 * (`client.dispatcher` applies). Every default can be replaced.
 *
 * @example
 * ```ts
 * const manager = createXcapManager({
 *   account: { id: 'alice@example.com', auth: { password: 's3cret' },
 *              xcap: { root: 'https://xcap.example.com/xcap-root' },
 *              sip: { outboundProxy: 'sip:sip.example.com;transport=tcp' } },
 * });
 * ```
 */
export function createXcapManager(options: XcapManagerOptions): XcapManager {
  const owned = options.storage === undefined ? fileStorage(defaultStoreDirectory()) : undefined;
  const manager = createCoreManager({
    ...options,
    storage: options.storage ?? owned,
    http: options.http ?? clientFactory({ transport: undiciTransport, ...options.client }),
    dns: options.dns ?? nodeDns(),
    sip: options.sip ?? nodeSipDiffPort(),
  });
  if (owned === undefined) return manager;
  // The default store is the manager's: close() releases its account lock.
  const close = manager.close;
  return Object.assign(manager, {
    close: async () => {
      await close();
      await owned.close();
    },
  });
}
