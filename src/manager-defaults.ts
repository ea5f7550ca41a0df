/**
 * The manager's default ports (browser-safe): the document engine over src/codecs and
 * src/journal, a memoizing XcapClient factory, the retry policy and a DNS port for
 * environments without DNS. Node's DNS adapter is `nodeDns()` in `./dns-node.ts`.
 */
import { throwError } from 'rxjs';
import type { Dispatcher } from 'undici';
import type { HttpTransport } from './client/transport.js';
import { XcapClient } from './client/xcap-client.js';
import { decodeXcapCaps } from './codecs/xcap-caps.js';
import { parseXml } from './codecs/xml/parse.js';
import { serializeXml } from './codecs/xml/serialize.js';
import { applyOperations, type Operation } from './journal/index.js';
import { XcapCapabilitiesError } from './streams/errors.js';
import type {
  BackoffPolicy,
  Connection,
  DnsPort,
  DocumentEngine,
  HttpFactory,
} from './streams/ports.js';

/**
 * The real document engine: parseXml/serializeXml, decodeXcapCaps and applyOperations.
 *
 * @example createXcapManager({ account, engine: defaultEngine })
 */
export const defaultEngine: DocumentEngine = {
  parse: (content) => parseXml(content),
  serialize: (root) => serializeXml(root),
  decodeCaps: (root) => {
    const caps = decodeXcapCaps(root);
    return {
      auids: [...caps.auids],
      extensions: [...caps.extensions],
      namespaces: [...caps.namespaces],
    };
  },
  apply: (docs, ops, ctx) => applyOperations(docs, ops as readonly Operation[], ctx),
};

/**
 * Client options the manager passes to every XcapClient it makes.
 *
 * @example createXcapManager({ account, client: { timeoutMs: 20_000 } });
 */
export interface ClientOptions {
  /** What sends the requests: the entry point's default (undici in Node, fetch elsewhere). */
  readonly transport?: HttpTransport;
  readonly dispatcher?: Dispatcher;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An HTTP factory that keeps one XcapClient for the current connection (Digest state is
 * reused) and makes a new one when the connection changes.
 *
 * @example const http = clientFactory({ timeoutMs: 10_000 });
 */
export function clientFactory(options: ClientOptions = {}): HttpFactory {
  let key = '';
  let client: XcapClient | null = null;
  return (c: Connection) => {
    // allowBasic is part of the key: a root that came from DNS must never reuse a client that
    // may answer Basic (regression test "a DNS-derived root gets a client that refuses Basic").
    const k = JSON.stringify([
      c.root,
      c.xui,
      c.username ?? null,
      c.password ?? null,
      c.allowBasic ?? true,
    ]);
    if (client === null || k !== key) {
      key = k;
      client = new XcapClient({ ...options, ...c });
    }
    return client;
  };
}

/**
 * The retry policy of transient failures: 1 s, doubling, at most 5 minutes, half jitter.
 *
 * @example createXcapManager({ account, backoff: { ...DEFAULT_BACKOFF, maxDelay: 60_000 } })
 */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialDelay: 1_000,
  maxDelay: 300_000,
  factor: 2,
  jitter: 0.5,
};

/**
 * While xcap-diff is down, all documents are fetched every 2 minutes (as sipsimple does).
 *
 * @example createXcapManager({ account, pollPeriod: DEFAULT_POLL_PERIOD / 2 });
 */
export const DEFAULT_POLL_PERIOD = 120_000;

/**
 * The DNS port where there is no DNS (browsers): every lookup fails with a clear error, so
 * set `xcap.root` or pass `dns: nodeDns()` in Node.
 *
 * @example createXcapManager({ account, dns: noDns })
 */
export const noDns: DnsPort = {
  resolveTxt: (name) =>
    throwError(
      () =>
        new XcapCapabilitiesError(
          `no XCAP root: settings give none and there is no DNS port to look up ${name} (pass dns: nodeDns())`,
        ),
    ),
};
