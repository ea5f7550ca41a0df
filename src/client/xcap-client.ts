/**
 * The low-level XCAP client (the python-xcaplib equivalent): GET, PUT and DELETE of
 * documents, elements and attributes, with conditional requests and Digest authentication,
 * as cold Observables. Unsubscribing aborts the request.
 */
import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import type { Dispatcher } from 'undici';
import {
  APPLICATIONS,
  XCAP_ATTRIBUTE_MIME,
  XCAP_ELEMENT_MIME,
  XCAP_NAMESPACE_MIME,
} from '../codecs/applications.js';
import { XcapValidationError } from '../errors.js';
import { AuthSession } from './auth-session.js';
import { httpErrorOf, XcapTimeoutError } from './errors.js';
import { formatEtag, parseEtag, type StarQuoting } from './etag.js';
import { fetchTransport } from './fetch-transport.js';
import type { NodeKind } from './node-selector.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TIMEOUTS,
  type HttpTransport,
  type RawRequest,
  type RawResponse,
  type XcapTimeouts,
} from './transport.js';
import { defaultUsername, type XcapUriOptions, xcapUri } from './uri.js';

/** Options of {@link XcapClient}. */
export interface XcapClientOptions {
  /** XCAP root URI, e.g. `https://xcap.example.com/xcap-root` (a trailing `/` is fine). */
  readonly root: string;
  /** XCAP User Identifier, e.g. `sip:alice@example.com`. */
  readonly xui: string;
  /** Digest username; default: the user part of the XUI (`alice`). Given `user@domain`, used as is. */
  readonly username?: string | undefined;
  /** Without a password no request is authenticated (a 401 becomes an XcapHttpError). */
  readonly password?: string | undefined;
  /**
   * Whether to answer a Basic challenge (RFC 7617; only ever over https). Default true; the
   * manager passes false for an XCAP root found through DNS, so that a password goes in a form
   * the server can replay only to a root the account itself names.
   */
  readonly allowBasic?: boolean | undefined;
  /**
   * What sends the requests. The Node entry (`rxcap` in Node, `rxcap/node`) defaults to
   * `undiciTransport`; the browser and universal entries to `fetchTransport`.
   */
  readonly transport?: HttpTransport | undefined;
  /**
   * undici dispatcher (custom CAs, proxies, tests) of `undiciTransport`; default: a shared
   * keep-alive Agent. Refused with another transport, which would ignore it.
   */
  readonly dispatcher?: Dispatcher | undefined;
  /** Overall limit per request (all auth rounds and the body), ms. Default 60 000. */
  readonly timeoutMs?: number | undefined;
  /** Phase limits, ms. Default connect 10 000, headers 30 000, body 30 000. */
  readonly timeouts?: XcapTimeouts | undefined;
  /** Largest response body accepted, bytes. Default 16 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /** Headers sent with every request (e.g. User-Agent). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** How `*` is written in If-Match/If-None-Match (default `'quoted'`, see {@link StarQuoting}). */
  readonly starQuoting?: StarQuoting | undefined;
  /** Scheduler of the timeouts (tests). Default asyncScheduler. */
  readonly scheduler?: SchedulerLike | undefined;
}

/** Per-request options. */
export interface XcapRequestOptions extends XcapUriOptions {
  /** Sent as `If-Match` (`*` allowed). */
  readonly etag?: string | undefined;
  /** Sent as `If-None-Match` (`*` allowed). */
  readonly ifNoneMatch?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Options of a PUT. */
export interface XcapPutOptions extends XcapRequestOptions {
  /** Overrides the MIME type derived from the AUID and the node kind. */
  readonly contentType?: string | undefined;
}

/** The answer to a successful PUT or DELETE. */
export interface XcapResponse {
  readonly status: number;
  /** The new ETag: strong tags unquoted, weak ones as `W/"..."`; null when the server sent none. */
  readonly etag: string | null;
  readonly etagWeak: boolean;
  readonly url: string;
  /** Response headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A fetched resource. `body` is the text decoded as UTF-8 (XCAP documents and fragments are
 * UTF-8 XML: a server refuses anything else with `not-utf-8`, RFC 4825 §11.2); `bytes` the
 * exact octets received. A 304 answer to a conditional GET is a resource with status 304 and
 * an empty body; its `etag` is the server's, or the tag that was sent when the server omits it.
 */
export interface XcapResource extends XcapResponse {
  readonly body: string;
  readonly bytes: Uint8Array;
  readonly contentType: string | null;
}

/**
 * XCAP client over an {@link HttpTransport}: undici in Node, `fetch` in browsers.
 *
 * @example
 * ```ts
 * const client = new XcapClient({ root: 'https://xcap.example.com/xcap-root',
 *   xui: 'sip:alice@example.com', password: 'secret' });
 * client.get('resource-lists').subscribe((r) => console.log(r.etag, r.body));
 * client.put('resource-lists', xml, { ifNoneMatch: '*' }).subscribe();
 * ```
 */
export class XcapClient {
  readonly root: string;
  readonly xui: string;
  readonly username: string;
  readonly #session: AuthSession;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #transport: HttpTransport;
  readonly #timeoutMs: number;
  readonly #timeouts: Required<XcapTimeouts>;
  readonly #maxBodyBytes: number;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #star: StarQuoting;
  readonly #scheduler: SchedulerLike;

  constructor(options: XcapClientOptions) {
    this.root = checkRoot(options.root);
    this.xui = options.xui;
    this.username = options.username ?? defaultUsername(options.xui);
    this.#session = new AuthSession(
      options.password === undefined
        ? undefined
        : { username: this.username, password: options.password },
      { allowBasic: options.allowBasic },
    );
    this.#transport = options.transport ?? fetchTransport;
    if (options.dispatcher !== undefined && this.#transport === fetchTransport)
      throw new XcapValidationError(
        'a dispatcher needs the undici transport: import XcapClient from rxcap/node, or pass transport: undiciTransport',
        'dispatcher',
      );
    this.#dispatcher = options.dispatcher;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#headers = { 'user-agent': 'rxcap/0.1', ...lowerKeys(options.headers) };
    this.#star = options.starQuoting ?? 'quoted';
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  /**
   * The URI of a document or node (RFC 4825 §6).
   *
   * @throws XcapNodeSelectorError, XcapValidationError
   * @example client.url('resource-lists', { node: 'resource-lists/list[1]' })
   */
  url(auid: string, options: XcapUriOptions = {}): string {
    return xcapUri(this.root, auid, this.xui, options).url;
  }

  /**
   * GET a document, element, attribute or namespace bindings. 304 (with `ifNoneMatch`) is a
   * resource with status 304, not an error.
   *
   * @example client.get('resource-lists', { ifNoneMatch: cachedEtag })
   */
  get(auid: string, options: XcapRequestOptions = {}): Observable<XcapResource> {
    return this.#exchange('GET', auid, options, undefined, (res, url) => {
      if (res.status === 304 || (res.status >= 200 && res.status < 300)) {
        const r = this.#response(res, url);
        // A 304 confirms the tag we sent; servers that omit ETag on 304 get it filled in.
        const etag =
          r.etag ?? (res.status === 304 ? (parseEtag(options.ifNoneMatch)?.etag ?? null) : null);
        const bytes = res.body;
        return {
          ...r,
          etag: etag === '*' ? null : etag,
          bytes,
          body: new TextDecoder('utf-8').decode(bytes),
          contentType: headerValue(res.headers['content-type']) ?? null,
        };
      }
      return undefined;
    });
  }

  /**
   * PUT a document (`body` is the whole XML), an element (`application/xcap-el+xml`), an
   * attribute value (`application/xcap-att+xml`) selected by `node`.
   *
   * @example client.put('resource-lists', xml, { etag: stored })
   */
  put(
    auid: string,
    body: string | Uint8Array,
    options: XcapPutOptions = {},
  ): Observable<XcapResponse> {
    return this.#exchange('PUT', auid, options, body, (res, url) =>
      res.status >= 200 && res.status < 300 ? this.#response(res, url) : undefined,
    );
  }

  /**
   * DELETE a document or a node.
   *
   * @example client.delete('resource-lists', { node: 'resource-lists/list[@name="x"]', etag })
   */
  delete(auid: string, options: XcapRequestOptions = {}): Observable<XcapResponse> {
    return this.#exchange('DELETE', auid, options, undefined, (res, url) =>
      res.status >= 200 && res.status < 300 ? this.#response(res, url) : undefined,
    );
  }

  #exchange<T>(
    method: RawRequest['method'],
    auid: string,
    options: XcapPutOptions,
    body: string | Uint8Array | undefined,
    accept: (res: RawResponse, url: string) => T | undefined,
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      const ac = new AbortController();
      let url = '';
      let headers: Record<string, string>;
      let kind: NodeKind | undefined;
      try {
        ({ url, nodeKind: kind } = xcapUri(this.root, auid, this.xui, options));
        headers = this.#requestHeaders(method, auid, kind, options, body !== undefined);
      } catch (e) {
        subscriber.error(e);
        return;
      }
      const timer = this.#scheduler.schedule(() => {
        ac.abort(
          new XcapTimeoutError({ url, method, phase: 'overall', timeoutMs: this.#timeoutMs }),
        );
      }, this.#timeoutMs);
      this.#session
        .send(
          { method, url, headers, body },
          {
            dispatcher: this.#dispatcher,
            timeouts: this.#timeouts,
            maxBodyBytes: this.#maxBodyBytes,
            signal: ac.signal,
            scheduler: this.#scheduler,
            transport: this.#transport,
          },
        )
        .then(
          (res) => {
            const value = accept(res, url);
            if (value === undefined) subscriber.error(httpErrorOf(res, url, method));
            else {
              subscriber.next(value);
              subscriber.complete();
            }
          },
          (e: unknown) => subscriber.error(e),
        )
        .finally(() => timer.unsubscribe());
      return () => {
        timer.unsubscribe();
        ac.abort();
      };
    });
  }

  #requestHeaders(
    method: string,
    auid: string,
    kind: NodeKind | undefined,
    options: XcapPutOptions,
    hasBody: boolean,
  ): Record<string, string> {
    const mime = mimeTypeFor(auid, kind);
    const h: Record<string, string> = { ...this.#headers };
    if (method === 'GET') h.accept = mime;
    if (hasBody) h['content-type'] = options.contentType ?? mime;
    if (options.etag !== undefined) h['if-match'] = formatEtag(options.etag, this.#star);
    if (options.ifNoneMatch !== undefined)
      h['if-none-match'] = formatEtag(options.ifNoneMatch, this.#star);
    Object.assign(h, lowerKeys(options.headers));
    return h;
  }

  #response(res: RawResponse, url: string): XcapResponse {
    const parsed = parseEtag(res.headers.etag);
    return {
      status: res.status,
      etag: parsed?.etag ?? null,
      etagWeak: parsed?.weak ?? false,
      url,
      headers: flatHeaders(res.headers),
    };
  }
}

/**
 * The MIME type of a resource (RFC 4825 §7.1/§15): the application's document type for a whole
 * document, `application/xcap-el+xml` for an element, `-att+xml` for an attribute,
 * `-ns+xml` for namespace bindings.
 *
 * @example mimeTypeFor('resource-lists', undefined) // 'application/resource-lists+xml'
 */
export function mimeTypeFor(auid: string, kind: NodeKind | undefined): string {
  switch (kind) {
    case 'element':
      return XCAP_ELEMENT_MIME;
    case 'attribute':
      return XCAP_ATTRIBUTE_MIME;
    case 'namespace':
      return XCAP_NAMESPACE_MIME;
    default:
      return APPLICATIONS[auid]?.mimeType ?? 'application/xml';
  }
}

/**
 * The root must be an absolute http(s) URI without credentials in it: URLs end up in error
 * messages, so `http://user:pass@host/` would leak the password (and Digest is the way to
 * authenticate anyway).
 */
function checkRoot(root: string): string {
  let u: URL;
  try {
    u = new URL(root);
  } catch {
    throw new XcapValidationError('XCAP root is not an absolute URI', 'root');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new XcapValidationError(`XCAP root must be http or https, not ${u.protocol}`, 'root');
  if (u.username !== '' || u.password !== '')
    throw new XcapValidationError(
      'XCAP root must not contain credentials; use username/password',
      'root',
    );
  if (u.search !== '' || u.hash !== '')
    throw new XcapValidationError('XCAP root must not have a query or fragment', 'root');
  return root;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function flatHeaders(h: Readonly<Record<string, string | string[]>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function lowerKeys(h: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
