/**
 * An in-memory XCAP server (RFC 4825) for users' tests: whole documents per user and
 * application, ETags, conditional requests (RFC 4825 §7.11), `xcap-caps`, and xcap-diff
 * notifications of every change through a fake diff port. It plugs into the manager as its
 * `http` and `sip` ports, and {@link InMemoryXcapServer.listen} serves the same documents over
 * real HTTP with Digest authentication (see ./xcap-http-listener.ts).
 *
 * Element and attribute requests (node selectors, RFC 4825 §6.3, §7.4–7.6) are answered on
 * the stored document (./node-requests.ts); `namespace::*` selectors answer 501.
 */
import { asyncScheduler, Observable, type SchedulerLike, Subject } from 'rxjs';
import { mimeTypeFor } from '../client/xcap-client.js';
import { APPLICATIONS, PRES_RULES_AUIDS, REQUIRED_AUIDS } from '../codecs/applications.js';
import { parseXml } from '../codecs/xml/parse.js';
import { serializeXml } from '../codecs/xml/serialize.js';
import type { DiffEvent, DiffPort, HttpFactory } from '../streams/ports.js';
import { inMemoryHttpPort } from './in-memory-http-port.js';
import { NodeRequestRefused, nodeRequest } from './node-requests.js';

/**
 * A document as the server holds it. ETags are opaque strings, unquoted.
 *
 * @example const doc: StoredDocument | undefined = server.document('sip:alice@example.com', 'resource-lists');
 */
export interface StoredDocument {
  readonly body: string;
  readonly etag: string;
  readonly contentType: string;
}

/**
 * One request the server answered, for assertions.
 *
 * @example expect(server.requests.filter((r: RecordedXcapRequest) => r.method === 'PUT')).toHaveLength(1);
 */
export interface RecordedXcapRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly xui: string;
  readonly auid: string;
  readonly filename: string;
  /** The node selector of an element or attribute request, unencoded. */
  readonly node?: string | undefined;
  readonly status: number;
  /** `If-Match` and `If-None-Match` as sent (unquoted). */
  readonly etag?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
}

/**
 * Options of {@link createInMemoryXcapServer}.
 *
 * @example createInMemoryXcapServer({ users: { 'sip:alice@example.com': 's3cret' }, latency: 20 });
 */
export interface InMemoryXcapServerOptions {
  /**
   * Accounts (XUI, e.g. `sip:alice@example.com`) and their passwords. When given, requests
   * for another XUI or with a wrong password answer 401; otherwise any credentials pass.
   */
  readonly users?: Readonly<Record<string, string>>;
  /** The AUIDs `xcap-caps` lists. Default: every application rxcap manages. */
  readonly auids?: readonly string[];
  /** The XCAP root the ports report. Default `http://xcap.test/xcap-root`. */
  readonly root?: string;
  /** Delay of every answer, ms, on `scheduler`. Default 0 (answers at once). */
  readonly latency?: number;
  /** Time for `latency` and diff notifications. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * What a request to the server asks, whichever way it arrived (port or HTTP).
 *
 * @example server.handle({ method: 'GET', xui: 'sip:alice@example.com', auid: 'resource-lists', filename: 'index', global: false });
 */
export interface XcapServerRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly xui: string | null;
  readonly auid: string;
  readonly filename: string;
  readonly global: boolean;
  /** A node selector (RFC 4825 §6.3), unencoded: the request is about that element or attribute. */
  readonly node?: string | undefined;
  /** Prefix bindings of the node selector (the `xmlns()` query, RFC 4825 §6.4). */
  readonly namespaces?: Readonly<Record<string, string>> | undefined;
  readonly etag?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly body?: string | undefined;
}

/**
 * The server's answer before it is turned into HTTP or a port value.
 *
 * @example const { status, etag }: XcapServerAnswer = server.handle(request);
 */
export interface XcapServerAnswer {
  readonly status: number;
  readonly etag: string | null;
  readonly body: string;
  readonly contentType: string | null;
}

/**
 * A listener started by {@link InMemoryXcapServer.listen}.
 *
 * @example const listener: XcapHttpListener = await server.listen(); new XcapClient({ root: listener.root, xui });
 */
export interface XcapHttpListener {
  /** The XCAP root to give an `XcapClient` or the manager's `xcap.root`. */
  readonly root: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The in-memory XCAP server.
 *
 * @example const server: InMemoryXcapServer = createInMemoryXcapServer(); server.setDocument(xui, 'resource-lists', xml);
 */
export interface InMemoryXcapServer {
  /** The XCAP root the ports report. */
  readonly root: string;
  /** The manager's `http` port: `createXcapManager({ account, http: server.http, sip: server.diff })`. */
  readonly http: HttpFactory;
  /** The manager's `sip` port: a fake xcap-diff subscription notified of every change. */
  readonly diff: DiffPort;
  /** Every request answered, in order. */
  readonly requests: readonly RecordedXcapRequest[];
  /** The stored document, or undefined. */
  document(xui: string, auid: string, filename?: string): StoredDocument | undefined;
  /**
   * Stores a document as another client would (a remote change): it gets a new ETag and diff
   * watchers are notified. Returns the ETag.
   */
  setDocument(xui: string, auid: string, body: string, filename?: string): string;
  /** Removes a document as another client would; diff watchers are notified. */
  deleteDocument(xui: string, auid: string, filename?: string): void;
  /** Answers the next `count` requests with `status` (e.g. 503, 500) without touching documents. */
  failNext(status: number, count?: number): void;
  /** Tells every diff watcher to fetch everything (a `resync`, e.g. after missed NOTIFYs). */
  resync(): void;
  /** Answers one request (used by both ports and by the HTTP listener). */
  handle(
    request: XcapServerRequest,
    credentials?: { username?: string; password?: string },
  ): XcapServerAnswer;
  /** Serves the documents over HTTP on 127.0.0.1 with Digest (MD5, qop=auth) when `users` is set. */
  listen(options?: { readonly port?: number; readonly host?: string }): Promise<XcapHttpListener>;
}

const DEFAULT_AUIDS = [
  'xcap-caps',
  ...REQUIRED_AUIDS,
  ...PRES_RULES_AUIDS,
  'org.openxcap.dialog-rules',
  'pidf-manipulation',
  'org.openmobilealliance.pres-content',
];

function xcapCaps(auids: readonly string[]): string {
  const namespaces = [
    ...new Set(auids.map((a) => APPLICATIONS[a]?.namespace).filter((n) => n !== undefined)),
  ];
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<xcap-caps xmlns="urn:ietf:params:xml:ns:xcap-caps">' +
    `<auids>${auids.map((a) => `<auid>${a}</auid>`).join('')}</auids><extensions/>` +
    `<namespaces>${namespaces.map((n) => `<namespace>${n}</namespace>`).join('')}</namespaces></xcap-caps>`
  );
}

const bare = (tag: string | undefined) => tag?.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

/**
 * Creates an in-memory XCAP server.
 *
 * @example
 * ```ts
 * const server = createInMemoryXcapServer({ users: { 'sip:alice@example.com': 's3cret' } });
 * const manager = createXcapManager({
 *   account: { id: 'alice@example.com', auth: { password: 's3cret' }, xcap: { root: server.root } },
 *   storage: memoryStorage(), http: server.http, sip: server.diff,
 * });
 * ```
 */
export function createInMemoryXcapServer(
  options: InMemoryXcapServerOptions = {},
): InMemoryXcapServer {
  const root = options.root ?? 'http://xcap.test/xcap-root';
  const auids = options.auids ?? DEFAULT_AUIDS;
  const scheduler = options.scheduler ?? asyncScheduler;
  const latency = options.latency ?? 0;
  const docs = new Map<string, StoredDocument>();
  const requests: RecordedXcapRequest[] = [];
  const changes$ = new Subject<{ xui: string; event: DiffEvent }>();
  let seq = 0;
  let failures: { status: number; count: number } | null = null;

  const key = (xui: string, auid: string, filename: string) => `${auid}\n${xui}\n${filename}`;
  const nextEtag = () => `e${++seq}`;

  const changed = (
    xui: string,
    auid: string,
    filename: string,
    previous: string | null,
    next: string | null,
  ) =>
    changes$.next({
      xui,
      event: {
        type: 'changed',
        documents: [{ auid, filename, newEtag: next, previousEtag: previous }],
      },
    });

  const answer = (
    status: number,
    etag: string | null = null,
    body = '',
    contentType: string | null = null,
  ): XcapServerAnswer => ({
    status,
    etag,
    body,
    contentType,
  });

  /** An element or attribute request on the stored document (after its conditions passed). */
  const nodeAnswer = (
    r: XcapServerRequest,
    xui: string,
    k: string,
    current: StoredDocument | undefined,
  ): XcapServerAnswer => {
    try {
      const result = nodeRequest(
        r.method,
        current?.body,
        r.node ?? '',
        APPLICATIONS[r.auid]?.namespace ?? '',
        r.namespaces,
        r.body,
      );
      if (result.kind === 'read')
        return answer(200, current!.etag, result.body, result.contentType);
      const etag = nextEtag();
      docs.set(k, { body: serializeXml(result.root), etag, contentType: current!.contentType });
      changed(xui, r.auid, r.filename, current?.etag ?? null, etag);
      return answer(result.created ? 201 : 200, etag);
    } catch (e) {
      if (!(e instanceof NodeRequestRefused)) throw e;
      return e.condition === undefined
        ? answer(e.status)
        : answer(
            e.status,
            null,
            `<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><${e.condition}/></xcap-error>`,
            'application/xcap-error+xml',
          );
    }
  };

  const handle = (
    r: XcapServerRequest,
    credentials: { username?: string; password?: string } = {},
  ): XcapServerAnswer => {
    const record = (a: XcapServerAnswer) => {
      requests.push({
        method: r.method,
        xui: r.xui ?? '',
        auid: r.auid,
        filename: r.filename,
        ...(r.node === undefined ? {} : { node: r.node }),
        status: a.status,
        etag: r.etag,
        ifNoneMatch: r.ifNoneMatch,
      });
      return a;
    };
    if (failures !== null && failures.count > 0) {
      failures.count--;
      return record(answer(failures.status));
    }
    if (r.global) {
      if (r.auid === 'xcap-caps' && r.method === 'GET' && r.filename === 'index')
        return record(answer(200, 'caps', xcapCaps(auids), 'application/xcap-caps+xml'));
      return record(answer(r.method === 'GET' ? 404 : 403));
    }
    if (r.xui === null) return record(answer(404));
    if (options.users !== undefined) {
      const password = options.users[r.xui];
      if (password === undefined || credentials.password !== password) return record(answer(401));
    }
    if (!auids.includes(r.auid)) return record(answer(404));
    const k = key(r.xui, r.auid, r.filename);
    const current = docs.get(k);
    const ifMatch = bare(r.etag);
    const ifNone = bare(r.ifNoneMatch);
    if (
      ifMatch !== undefined &&
      (current === undefined || (ifMatch !== '*' && ifMatch !== current.etag))
    )
      return record(answer(current === undefined && r.method === 'GET' ? 404 : 412));
    if (
      ifNone !== undefined &&
      current !== undefined &&
      (ifNone === '*' || ifNone === current.etag)
    )
      return record(r.method === 'GET' ? answer(304, current.etag) : answer(412));
    if (r.node !== undefined) return record(nodeAnswer(r, r.xui, k, current));
    switch (r.method) {
      case 'GET':
        return record(
          current === undefined
            ? answer(404)
            : answer(200, current.etag, current.body, current.contentType),
        );
      case 'DELETE': {
        if (current === undefined) return record(answer(404));
        docs.delete(k);
        changed(r.xui, r.auid, r.filename, current.etag, null);
        return record(answer(200));
      }
      case 'PUT': {
        const body = r.body ?? '';
        try {
          parseXml(body);
        } catch {
          // RFC 4825 §11.5: a body that is not well-formed XML.
          return record(
            answer(
              409,
              null,
              '<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><not-well-formed/></xcap-error>',
              'application/xcap-error+xml',
            ),
          );
        }
        const etag = nextEtag();
        docs.set(k, { body, etag, contentType: mimeTypeFor(r.auid, undefined) });
        changed(r.xui, r.auid, r.filename, current?.etag ?? null, etag);
        return record(answer(current === undefined ? 201 : 200, etag));
      }
    }
  };

  const port = inMemoryHttpPort(handle, { root, latency, scheduler });

  const diff: DiffPort = {
    watch: (settings, control) =>
      new Observable<DiffEvent>((subscriber) => {
        subscriber.next({ type: 'state', state: 'pending' });
        subscriber.next({ type: 'state', state: 'active' });
        const changes = changes$.subscribe(({ xui, event }) => {
          if (xui !== settings.xui && event.type === 'changed') return;
          // A NOTIFY arrives after the request that caused it has been answered.
          scheduler.schedule(() => {
            if (!subscriber.closed) subscriber.next(event);
          });
        });
        const stop = control.terminate$.subscribe(() => {
          subscriber.next({ type: 'state', state: 'terminated' });
          subscriber.complete();
        });
        return () => {
          changes.unsubscribe();
          stop.unsubscribe();
        };
      }),
  };

  const server: InMemoryXcapServer = {
    root,
    http: port,
    diff,
    requests,
    document: (xui, auid, filename = 'index') => docs.get(key(xui, auid, filename)),
    setDocument: (xui, auid, body, filename = 'index') => {
      const k = key(xui, auid, filename);
      const previous = docs.get(k)?.etag ?? null;
      const etag = nextEtag();
      docs.set(k, { body, etag, contentType: mimeTypeFor(auid, undefined) });
      changed(xui, auid, filename, previous, etag);
      return etag;
    },
    deleteDocument: (xui, auid, filename = 'index') => {
      const k = key(xui, auid, filename);
      const previous = docs.get(k)?.etag ?? null;
      if (docs.delete(k)) changed(xui, auid, filename, previous, null);
    },
    failNext: (status, count = 1) => {
      failures = { status, count };
    },
    resync: () => changes$.next({ xui: '', event: { type: 'resync' } }),
    handle,
    listen: async (o = {}) => {
      const { listenXcapHttp } = await import('./xcap-http-listener.js');
      return listenXcapHttp(server, { ...o, users: options.users });
    },
  };
  return server;
}
