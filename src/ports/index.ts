/**
 * The ports through which rxcap reaches the outside world: HTTP, DNS, xcap-diff (SIP), the
 * document engine and the retry policy (the storage port is src/store/storage-port.ts). Every
 * port returns cold Observables; adapters turn Promises into Observables at the edge.
 */
export * from './backoff-policy.js';
export * from './diff-port.js';
export * from './dns-port.js';
export * from './document-engine.js';
export * from './http-port.js';
