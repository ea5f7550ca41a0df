/**
 * Node entry of the SIP diff port: undici's WebSocket for `ws`/`wss` (Node 20 has no global
 * WebSocket) and the TCP/TLS transport of ./tcp-transport.ts. Node-only.
 */
import { WebSocket } from 'undici';
import type { DiffPort } from '../ports/index.js';
import { type SipDiffPortOptions, sipDiffPort } from './index.js';
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
