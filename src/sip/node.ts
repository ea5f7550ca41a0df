/**
 * Node entry of the SIP diff port: undici's WebSocket for `ws`/`wss` (Node 20 has no global
 * WebSocket) and the TCP/TLS transport of ./tcp-transport.ts. Node-only.
 */
import { WebSocket } from 'undici';
import type { DiffPort } from '../ports/index.js';
import { type SipDiffPortOptions, sipDiffPort } from './index.js';
import { type SipConnectionPool, sipConnectionPool } from './sip-connection-pool.js';
import { TcpTransport, TlsTransport } from './tcp-transport.js';

export { TcpTransport, type TcpTransportOptions, TlsTransport } from './tcp-transport.js';

/**
 * The diff port for Node services: WebSocket, TCP and TLS.
 *
 * @example
 * ```ts
 * createXcapManager({ account: { id: 'alice@example.com', auth: { password },
 *   sip: { outboundProxy: 'sip:proxy.example.com:5060;transport=tcp' } }, sip: nodeSipDiffPort() });
 * ```
 */
export function nodeSipDiffPort(options: SipDiffPortOptions = {}): DiffPort {
  return sipDiffPort({
    webSocket: WebSocket,
    ...options,
    transportConstructors: {
      tcp: TcpTransport,
      tls: TlsTransport,
      ...(options.transportConstructors ?? {}),
    },
  });
}

/**
 * One diff port for every manager of a Node service: their xcap-diff subscriptions share SIP
 * connections (one per server, up to `maxPerConnection` accounts each) instead of opening one
 * per account. `connections` tells how many are open.
 *
 * Used by `createFleet`; an application passes `nodeSipDiffPort({ connections:
 * sipConnectionPool() })` (the pool from `rxcap/sip`) to the same effect.
 *
 * @example
 * ```ts
 * const sip = sharedSipDiffPort();
 * const managers = accounts.map((account) => createXcapManager({ account, sip }));
 * sip.connections.stats(); // { open: 1, opened: 1, accounts: 500, strayRequests: 0 }
 * ```
 */
export function sharedSipDiffPort(
  options: SipDiffPortOptions = {},
): DiffPort & { readonly connections: SipConnectionPool } {
  const connections = options.connections ?? sipConnectionPool();
  return { ...nodeSipDiffPort({ ...options, connections }), connections };
}
