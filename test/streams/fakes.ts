/**
 * Fakes for the pipelines' marble tests: a fake document engine (documents are one element
 * whose `v` attribute is the whole content) and a fake HTTP port scripted per request with
 * `cold()` observables. Failure paths a real server cannot produce on demand live here.
 */
import { type Observable, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { DocumentName } from '../../src/codecs/applications.js';
import { attr, element, type XmlElement } from '../../src/codecs/xml/tree.js';
import { XcapError } from '../../src/errors.js';
import {
  type DocumentEngine,
  type HttpResource,
  type HttpResponse,
  type PipelinePorts,
  type SyncDocuments,
  type TraceEntry,
  unavailableDiffPort,
} from '../../src/streams/ports.js';

/** A document of the fake engine: `<doc v="content"/>`. */
export function fakeDoc(v: string): XmlElement {
  return element('', 'doc', { v });
}

/**
 * Fake engine. Operations: `{ type: 'set', doc, value }` sets a document's content (a no-op,
 * keeping the object, when it is already that value), `{ type: 'delete', doc }`, and
 * `{ type: 'normalize' }` which changes nothing.
 */
export const fakeEngine: DocumentEngine = {
  parse: (content) => fakeDoc(content),
  serialize: (root) => attr(root, 'v') ?? '',
  decodeCaps: (root) => ({
    auids: (attr(root, 'v') ?? '').split(',').filter(Boolean),
    extensions: [],
    namespaces: [],
  }),
  apply: (docs, ops) => {
    let current: SyncDocuments = docs;
    const outcomes = ops.map((op) => {
      const o = op as { type: string; doc?: DocumentName; value?: string };
      if (o.type === 'set' && o.doc) {
        const old = current[o.doc];
        if (old && attr(old, 'v') === o.value) return { changed: [] };
        current = { ...current, [o.doc]: fakeDoc(o.value ?? '') };
        return { changed: [o.doc] };
      }
      if (o.type === 'delete' && o.doc) {
        if (current[o.doc] === null) return { changed: [] };
        current = { ...current, [o.doc]: null };
        return { changed: [o.doc] };
      }
      return { changed: [] };
    });
    return { docs: current, outcomes };
  },
};

/** A fake HTTP failure with a status, like the client's XcapHttpError. */
export class FakeHttpError extends XcapError {
  readonly status: number;
  constructor(status: number) {
    super('RXCAP_HTTP', `fake HTTP ${status}`);
    this.status = status;
  }
}

/** A fake transient network failure. */
export class FakeNetworkError extends XcapError {
  constructor() {
    super('RXCAP_NETWORK', 'fake network error');
  }
}

export interface Recorded {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly auid: string;
  readonly body?: string;
  readonly options: Record<string, unknown>;
  readonly frame: number;
}

type Responder = (req: Recorded, count: number) => Observable<HttpResource | HttpResponse>;

/**
 * A fake HTTP port: `route('GET resource-lists', responder)`; unrouted requests fail with a
 * fake 404 after 1 ms. Every request is recorded with its virtual frame.
 */
export function fakeHttp(ts: TestScheduler) {
  const routes = new Map<string, Responder>();
  const counts = new Map<string, number>();
  const requests: Recorded[] = [];
  const handle = (req: Recorded): Observable<never> => {
    requests.push(req);
    const key = `${req.method} ${req.auid}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const r = routes.get(key);
    if (r) return r(req, n) as Observable<never>;
    return ts.createColdObservable('-#', undefined, new FakeHttpError(404)) as Observable<never>;
  };
  return {
    requests,
    route(key: string, responder: Responder): void {
      routes.set(key, responder);
    },
    port: {
      get: (auid: string, options: Record<string, unknown> = {}) =>
        handle({ method: 'GET', auid, options, frame: ts.now() }),
      put: (auid: string, body: string, options: Record<string, unknown> = {}) =>
        handle({ method: 'PUT', auid, body, options, frame: ts.now() }),
      delete: (auid: string, options: Record<string, unknown> = {}) =>
        handle({ method: 'DELETE', auid, options, frame: ts.now() }),
    },
  };
}

/** A cold 200 answer after `delay` ms. */
export function ok(
  ts: TestScheduler,
  body: string,
  etag: string | null,
  delay = 1,
): Observable<HttpResource> {
  return ts.createColdObservable(`${delay}ms (r|)`, {
    r: { body, etag, status: 200, contentType: 'application/xml', headers: {} },
  });
}

/** A cold 304 answer after 1 ms. */
export function notModified(ts: TestScheduler, etag: string): Observable<HttpResource> {
  return ts.createColdObservable('1ms (r|)', {
    r: { body: '', etag, status: 304, headers: {} },
  });
}

/** A cold failure after 1 ms. */
export function fails(ts: TestScheduler, error: unknown): Observable<never> {
  return ts.createColdObservable('1ms #', undefined, error) as Observable<never>;
}

export const fakeBackoff = { initialDelay: 1000, maxDelay: 60_000, factor: 2, jitter: 0 };

/** Ports over the fakes; `sip` defaults to a port that is never active (polling). */
export function fakePorts(
  ts: TestScheduler,
  http: ReturnType<typeof fakeHttp>,
  extra: Partial<PipelinePorts> & { traces?: TraceEntry[] } = {},
): PipelinePorts {
  const traces = extra.traces;
  return {
    http: () => http.port,
    dns: { resolveTxt: () => throwError(() => new FakeHttpError(599)) },
    diff: extra.diff ?? unavailableDiffPort,
    engine: fakeEngine,
    // Fake documents (`<doc v="..."/>`) have no XCAP root element to check.
    checkRoots: (docs) => docs,
    scheduler: ts,
    random: () => 0,
    backoff: fakeBackoff,
    isTransient: (e) =>
      e instanceof FakeNetworkError ||
      (e instanceof FakeHttpError && (e.status >= 500 || e.status === 429)),
    retryAfterMs: () => undefined,
    pollPeriod: 120_000,
    ...(traces ? { trace: (t: TraceEntry) => traces.push(t) } : {}),
    ...extra,
  };
}
