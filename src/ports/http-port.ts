/**
 * The HTTP port: what the pipelines need of an XCAP client (src/client's XcapClient implements
 * it structurally), and the trace of each exchange. Cold Observables, so that the pipelines stay
 * free of Promises and run on a TestScheduler.
 */
import type { Observable } from 'rxjs';

/**
 * A fetched XCAP resource (RFC 4825 §7.3). A 304 answer is a resource with `status: 304`.
 *
 * @example if (resource.status === 304) keepCache(); else store(resource.body, resource.etag);
 */
export interface HttpResource {
  readonly body: string;
  readonly etag: string | null;
  readonly contentType?: string | null;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The answer to a PUT or DELETE (RFC 4825 §7.4, §7.5).
 *
 * @example http.put('resource-lists', xml, { etag }).subscribe((r: HttpResponse) => remember(r.etag));
 */
export interface HttpResponse {
  readonly status: number;
  readonly etag: string | null;
  /** The request URI (for traces). */
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Options of one request, as `XcapClient` takes them.
 *
 * @example http.get('resource-lists', { ifNoneMatch: cached.etag });
 */
export interface HttpRequestOptions {
  /** Sent as If-Match (RFC 4825 §7.11). */
  readonly etag?: string;
  /** Sent as If-None-Match; `'*'` for a document that must not exist yet. */
  readonly ifNoneMatch?: string;
  readonly filename?: string;
  /** A node selector (RFC 4825 §6.3), unencoded: the request is about that element or attribute. */
  readonly node?: string;
  readonly global?: boolean;
  readonly contentType?: string;
}

/**
 * The part of `XcapClient` the pipelines use. The real client satisfies it as it is.
 *
 * @example
 * ```ts
 * const http: XcapHttp = new XcapClient({ root, xui });
 * http.get('resource-lists', { ifNoneMatch: '"abc"' }).subscribe(r => r.status);
 * ```
 */
export interface XcapHttp {
  get(auid: string, options?: HttpRequestOptions): Observable<HttpResource>;
  put(auid: string, body: string, options?: HttpRequestOptions): Observable<HttpResponse>;
  delete(auid: string, options?: HttpRequestOptions): Observable<HttpResponse>;
}

/**
 * Where and as whom to talk XCAP. Credentials stay in here and never reach traces or errors.
 *
 * @example const c: Connection = { root: 'https://xcap.example.com/xcap-root', xui: 'sip:alice@example.com', password };
 */
export interface Connection {
  readonly root: string;
  /** XCAP User Identifier, e.g. `sip:alice@example.com` (RFC 4825 §4). */
  readonly xui: string;
  readonly username?: string;
  readonly password?: string;
  /**
   * False: never answer a Basic challenge (the root came from DNS, not from the account's
   * settings). Absent: Basic over https only, as the client does.
   */
  readonly allowBasic?: boolean;
}

/**
 * Builds the HTTP port for a connection. The manager's default memoizes one `XcapClient`
 * per connection so that Digest state is reused.
 *
 * @example
 * ```ts
 * const http: HttpFactory = (c) => new XcapClient(c);
 * ```
 */
export type HttpFactory = (connection: Connection) => XcapHttp;

/**
 * One HTTP exchange, for `trace$`. Never carries credentials or bodies.
 *
 * @example manager.trace$.subscribe((t: TraceEntry) => console.log(t.method, t.url, t.status, t.etag, t.size));
 */
export interface TraceEntry {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  /** The request URI, when the client reports it (never with credentials). */
  readonly url?: string;
  readonly auid: string;
  readonly filename?: string;
  readonly status: number | null;
  readonly etag: string | null;
  /** Size of the body sent (PUT) or received (GET), in UTF-16 code units. */
  readonly size: number;
  readonly error?: string;
}
