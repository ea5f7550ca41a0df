/**
 * The ports through which the manager's pipelines reach the outside world. Every port returns cold Observables so that the pipelines stay
 * free of Promises and can be driven by a `TestScheduler`; adapters turn Promises into
 * Observables at the edge. Nothing in this file imports a `node:` module.
 */
import { Observable, type SchedulerLike } from 'rxjs';
import type { DocumentName } from '../codecs/applications.js';
import type { ChangedDocument } from '../codecs/xcap-diff.js';
import type { XmlElement } from '../codecs/xml/tree.js';

// ---------------------------------------------------------------------------------------------
// HTTP (the XcapClient of src/client, seen structurally)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// DNS
// ---------------------------------------------------------------------------------------------

/**
 * DNS TXT lookups, used to find the XCAP root when the settings give none (a record
 * such as `xcap.<domain>. IN TXT "https://xcap.example.org/xcap-root"`). The Node adapter lives in
 * `src/dns-node.ts`; browsers have no DNS, so their default fails with a clear error.
 *
 * @example
 * ```ts
 * const dns: DnsPort = { resolveTxt: (name) => of([['https://xcap.example.org/xcap-root']]) };
 * ```
 */
export interface DnsPort {
  /** Every TXT record of `name`, each as its character strings (like `dns.resolveTxt`). */
  resolveTxt(name: string): Observable<string[][]>;
}

// ---------------------------------------------------------------------------------------------
// xcap-diff subscription (implemented by src/sip)
// ---------------------------------------------------------------------------------------------

/**
 * What the diff port needs to SUBSCRIBE to `xcap-diff` (RFC 5875) for one account.
 *
 * @example diffSettingsOf(account, root, watchedDocumentUris(xui)).subscribeInterval // 600
 */
export interface DiffSettings {
  /** Account id / AOR, e.g. `sip:alice@example.com`. */
  readonly aor: string;
  readonly username?: string;
  readonly password?: string;
  /** The XCAP root the documents live under (the diff names documents below it). */
  readonly xcapRoot: string;
  /** The XUI whose documents are watched. */
  readonly xui: string;
  /** Requested Expires in seconds (default 600); a 423 Min-Expires may raise it. */
  readonly subscribeInterval: number;
  readonly outboundProxy?: string;
  readonly transports?: readonly ('ws' | 'wss' | 'tcp' | 'tls' | 'udp')[];
  /** XCAP URIs (relative to the root) of the documents to watch, e.g. `resource-lists/users/sip:a@b/index`. */
  readonly documents: readonly string[];
  /** When NOTIFY patches are applied (default `'secure'`): see {@link DiffPatchTrust}. */
  readonly patches?: DiffPatchTrust;
}

/**
 * When the patches of an xcap-diff NOTIFY (RFC 5874 §4.1) are applied instead of fetching the
 * whole document: `'secure'` only when the NOTIFY came over TLS to the first SIP hop (wss,
 * tls), `'always'` also over tcp/ws (an opt-in: a NOTIFY there could be forged), `'never'`.
 * An applied patch is still confirmed by a conditional GET before its result is used.
 *
 * @example const trust: DiffPatchTrust = 'secure';
 */
export type DiffPatchTrust = 'secure' | 'always' | 'never';

/**
 * State of the subscription as the port sees it.
 *
 * @example if (event.type === 'state' && event.state !== 'active') startPolling();
 */
export type DiffState = 'active' | 'pending' | 'unavailable' | 'failed' | 'terminated';

/**
 * One changed document named by a NOTIFY (RFC 5874 §4 `<document>`): the codec's
 * {@link ChangedDocument}, which the SIP side hands on as it decodes it (one type, so the two
 * cannot drift apart). `patchComplete`: the manager may apply `patch` to a cached document with
 * ETag `previousEtag` instead of fetching (RFC 5874 §4.1).
 *
 * @example const d: DiffDocument = { auid: 'resource-lists', filename: 'index', newEtag: 'e2', previousEtag: 'e1', patch: ops, patchComplete: true };
 */
export type DiffDocument = ChangedDocument;

/**
 * What the diff port reports.
 * - `state`: the subscription changed state. `active`: NOTIFYs will come, no polling needed.
 *   `pending`/`failed`/`unavailable`: the manager polls every 2 minutes by default; `failed`
 *   means "may work later" (the manager resubscribes with backoff), `unavailable` means "not
 *   supported or not configured" (polling only). `terminated` is the last event after a
 *   graceful termination.
 * - `changed`: a NOTIFY named these documents; only they are fetched.
 * - `resync`: events may have been missed (an unreadable full-state NOTIFY, a refresh after a
 *   gap): fetch every document.
 *
 * @example const e: DiffEvent = { type: 'changed', documents: [{ auid: 'resource-lists', newEtag: 'e2' }] };
 */
export type DiffEvent =
  | { readonly type: 'state'; readonly state: DiffState; readonly reason?: string }
  | {
      readonly type: 'changed';
      readonly documents: readonly DiffDocument[];
      /**
       * The NOTIFY came over a connection that is TLS to the first SIP hop (wss, tls): its
       * patches may be applied (see `AccountSettings.xcap.patches`).
       */
      readonly secure?: boolean;
      /**
       * The initial NOTIFY's full state (RFC 5875 §4.4.2): every document it names is at that
       * ETag; documents it does not name are fetched.
       */
      readonly fullState?: boolean;
    }
  | { readonly type: 'resync' };

/**
 * The xcap-diff subscription (RFC 5875) behind `diff$`. Implemented over SIP by src/sip.
 *
 * Contract:
 * - `watch()` is cold: subscribing SUBSCRIBEs (Event: xcap-diff, Expires from
 *   `settings.subscribeInterval`, larger after 423), keeps the subscription refreshed and emits
 *   {@link DiffEvent}s. It should first emit `{ type: 'state', state: 'pending' }`, then
 *   `active` once the subscription is accepted.
 * - An initial or a refresh NOTIFY with full state may be reported as `resync`.
 * - Unsubscribing from the Observable tears the dialog down best-effort (fire and forget).
 * - When `control.terminate$` emits, the port terminates gracefully (SUBSCRIBE Expires: 0, waits
 *   for the final NOTIFY or a short timeout), emits `{ type: 'state', state: 'terminated' }` and
 *   completes. `manager.stop()` resolves only after that completion.
 * - A failure the port cannot recover from is reported either as an error notification or as
 *   `{ type: 'state', state: 'failed' }` followed by completion; the manager resubscribes with
 *   backoff. A server or configuration without xcap-diff is `unavailable` (then completion or
 *   silence): the manager polls every 2 minutes and does not resubscribe.
 * - Never put credentials into `reason` or errors.
 *
 * @example
 * ```ts
 * const sip: DiffPort = { watch: () => of({ type: 'state', state: 'unavailable' }) };
 * ```
 */
export interface DiffPort {
  watch(
    settings: DiffSettings,
    control: { readonly terminate$: Observable<unknown> },
  ): Observable<DiffEvent>;
}

/**
 * The default diff port while no SIP implementation is wired: always `unavailable`, which makes
 * the manager fall back to polling every 2 minutes.
 *
 * @example
 * ```ts
 * createXcapManager({ account, sip: unavailableDiffPort });
 * ```
 */
export const unavailableDiffPort: DiffPort = {
  watch: (_settings, control) =>
    new Observable<DiffEvent>((subscriber) => {
      subscriber.next({ type: 'state', state: 'unavailable', reason: 'no xcap-diff transport' });
      const s = control.terminate$.subscribe(() => {
        subscriber.next({ type: 'state', state: 'terminated' });
        subscriber.complete();
      });
      return () => s.unsubscribe();
    }),
};

// ---------------------------------------------------------------------------------------------
// Documents and journal (src/codecs and src/journal, seen structurally)
// ---------------------------------------------------------------------------------------------

/**
 * Parsed documents by logical name; `null` = known to be absent (the journal's `Documents`).
 *
 * @example const docs: SyncDocuments = { 'resource-lists': parseXml(xml), 'rls-services': null };
 */
export type SyncDocuments = Partial<Record<DocumentName, XmlElement | null>>;

/**
 * What journal operations need to know about the account (the journal's `JournalContext`).
 *
 * @example const ctx: SyncContext = { xcapRoot, xui, presRulesAuid: 'pres-rules', supported: new Set(['resource-lists']) };
 */
export interface SyncContext {
  readonly xcapRoot: string;
  readonly xui: string;
  readonly presRulesAuid: string;
  readonly supported: ReadonlySet<DocumentName>;
}

/**
 * A journaled operation: JSON data with a `type` (the journal's `Operation`).
 *
 * @example const op: OperationData = { type: 'normalize' };
 */
export interface OperationData {
  readonly type: string;
}

/**
 * Server capabilities from `xcap-caps/global/index` (RFC 4825 §12).
 *
 * @example manager.capabilities$.subscribe((c: Capabilities) => console.log(c.auids));
 */
export interface Capabilities {
  readonly auids: string[];
  readonly extensions: string[];
  readonly namespaces: string[];
}

/**
 * The pure document functions the pipelines call: XML in and out, capabilities decoding and
 * applying journal operations. The manager wires src/codecs and src/journal; tests may pass
 * small fakes.
 *
 * @example
 * ```ts
 * const engine: DocumentEngine = { parse: parseXml, serialize: serializeXml, decodeCaps: decodeXcapCaps,
 *   apply: (docs, ops, ctx) => applyOperations(docs, ops as Operation[], ctx) };
 * ```
 */
export interface DocumentEngine {
  parse(content: string): XmlElement;
  serialize(root: XmlElement): string;
  decodeCaps(root: XmlElement): Capabilities;
  /**
   * Applies `ops` in order. Unchanged documents keep the same object reference; `outcomes[i]`
   * names the documents operation `i` changed.
   */
  apply(
    docs: SyncDocuments,
    ops: readonly OperationData[],
    ctx: SyncContext,
  ): {
    docs: SyncDocuments;
    outcomes: readonly { changed: readonly DocumentName[]; skipped?: string }[];
  };
}

// ---------------------------------------------------------------------------------------------
// Retry policy and the bundle of ports
// ---------------------------------------------------------------------------------------------

/**
 * Capped exponential backoff with jitter (see `retryBackoff`). Delays in ms.
 *
 * @example const policy: BackoffPolicy = { initialDelay: 1000, maxDelay: 300_000, factor: 2, jitter: 0.5 };
 */
export interface BackoffPolicy {
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  /** 0 = none, 1 = full jitter: the delay is drawn from [d·(1−jitter), d]. */
  readonly jitter: number;
}

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

/**
 * Everything a pipeline may touch. Time only through `scheduler`, randomness only through
 * `random`, so that marble tests are deterministic.
 *
 * @example runMachine(input$, { ...ports, scheduler: testScheduler, random: () => 0 });
 */
export interface PipelinePorts {
  readonly http: HttpFactory;
  readonly dns: DnsPort;
  readonly diff: DiffPort;
  readonly engine: DocumentEngine;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  /** Network, timeout, 5xx, 429 (the client's `isTransient`). */
  readonly isTransient: (error: unknown) => boolean;
  /** Retry-After of an error in ms, if any (the client's `retryAfterMs`). */
  readonly retryAfterMs: (error: unknown) => number | undefined;
  /** Polling period while xcap-diff is not active (default 2 minutes). */
  readonly pollPeriod: number;
  /** Receives one entry per HTTP exchange. */
  readonly trace?: (entry: TraceEntry) => void;
}
