/**
 * What the manager knows, for one session, about how each XCAP server applies element writes
 * (RFC 4825 §7.4–7.6): learned from the `Server` header of its answers, and narrowed when the
 * server refuses an element write. A server rxcap does not know gets whole documents: a wrong
 * guess would leave its copy in another order than the cache (Kamailio moves a replaced element
 * to the end of its parent, an RFC 4825 server keeps it in place, §8.2.3).
 */
import type { Observable } from 'rxjs';
import { tap } from 'rxjs';
import type { DocumentName } from '../codecs/applications.js';
import { KAMAILIO_XCAP_SERVER, type XcapServerProfile } from '../element-writes/server-profile.js';
import type { Connection, HttpFactory, XcapHttp } from '../ports/http-port.js';

/**
 * Element writes: `'auto'` learns the server from its `Server` header (Kamailio's
 * `xcap_server` is known; other servers get whole documents), `'off'` always PUTs whole
 * documents, a profile says how the server behaves (e.g. `RFC4825_SERVER` for an RFC-strict one).
 *
 * @example createXcapManager({ account, elementWrites: RFC4825_SERVER })
 */
export type ElementWritesSetting = 'auto' | 'off' | XcapServerProfile;

/**
 * The session's knowledge of the servers, by XCAP root.
 *
 * @example const servers = serverKnowledge('auto'); servers.profile(root, 'resource-lists')
 */
export interface ServerKnowledge {
  /** How the server at `root` applies element writes to `name`; undefined: whole documents. */
  profile(root: string, name: DocumentName): XcapServerProfile | undefined;
  /** Learns the server from the headers of one of its answers. */
  learn(root: string, headers: Readonly<Record<string, string>> | undefined): void;
  /** The server refused an element write to `name`: whole documents there for the session. */
  refuse(root: string, name: DocumentName): void;
}

/**
 * The profile a `Server` header names, if rxcap knows it. Kamailio 5.6 answers
 * `Server: kamailio (5.6.3 (x86_64/linux))` (test/integration/element-writes.test.ts measures
 * how its xcap_server applies element writes).
 *
 * @example profileOfServerHeader('kamailio (5.6.3 (x86_64/linux))') === KAMAILIO_XCAP_SERVER
 */
export function profileOfServerHeader(server: string | undefined): XcapServerProfile | undefined {
  if (server === undefined) return undefined;
  // Only the product token is looked at (RFC 9110 §10.2.4), bounded.
  return /^\s*kamailio\b/i.test(server.slice(0, 64)) ? KAMAILIO_XCAP_SERVER : undefined;
}

/** At most this many servers and refused documents are remembered (a peer names them). */
const MAX_SERVERS = 64;

/**
 * A fresh knowledge of the servers for one manager.
 *
 * @example const servers = serverKnowledge('auto')
 */
export function serverKnowledge(setting: ElementWritesSetting): ServerKnowledge {
  const learned = new Map<string, XcapServerProfile>();
  const refused = new Set<string>();
  const bounded = <T>(m: { size: number; clear(): void }, v: T): T => {
    if (m.size >= MAX_SERVERS) m.clear();
    return v;
  };
  return {
    profile(root, name) {
      if (setting === 'off' || refused.has(`${root}\u0000${name}`)) return undefined;
      return setting === 'auto' ? learned.get(root) : setting;
    },
    learn(root, headers) {
      if (setting !== 'auto' || learned.has(root)) return;
      const p = profileOfServerHeader(headers?.server);
      if (p !== undefined) learned.set(root, bounded(learned, p));
    },
    refuse(root, name) {
      refused.add(bounded(refused, `${root}\u0000${name}`));
    },
  };
}

/**
 * The HTTP factory with every answer's headers shown to `servers`, so that the documents'
 * first fetch already tells which server it is (no request of its own).
 *
 * @example http: learningServers(clientFactory(), servers)
 */
export function learningServers(factory: HttpFactory, servers: ServerKnowledge): HttpFactory {
  return (connection: Connection): XcapHttp => {
    const http = factory(connection);
    const learn = <T extends { readonly headers?: Readonly<Record<string, string>> }>(
      o: Observable<T>,
    ): Observable<T> => o.pipe(tap((r) => servers.learn(connection.root, r.headers)));
    return {
      get: (auid, options) => learn(http.get(auid, options)),
      put: (auid, body, options) => learn(http.put(auid, body, options)),
      delete: (auid, options) => learn(http.delete(auid, options)),
    };
  };
}
