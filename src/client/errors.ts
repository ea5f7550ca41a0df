/**
 * Typed errors of the XCAP client and the classifiers the manager's retry policy uses.
 *
 * Every error carries context (status, URL, phase...) but never a credential: response headers
 * are redacted before they are stored, request headers are never stored, and messages are built
 * from the URL and the status only.
 */
import { XCAP_ERROR_MIME } from '../codecs/applications.js';
import { parseXcapError, type XcapErrorDetails } from '../codecs/xcap-error.js';
import { XcapError } from '../errors.js';

/** Bodies kept on an {@link XcapHttpError} are cut to this many characters. */
export const MAX_ERROR_BODY_CHARS = 4096;

/** Header names whose values are replaced by `[redacted]` wherever headers are kept. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'authentication-info',
  'proxy-authentication-info',
]);

/**
 * A copy of `headers` with credential-bearing values replaced by `[redacted]`.
 *
 * @example redactHeaders({ authorization: 'Digest ...' }) // { authorization: '[redacted]' }
 */
export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const name = k.toLowerCase();
    out[name] = SECRET_HEADERS.has(name) ? '[redacted]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * The server answered with a status that is not a success (and not 304 on a conditional GET).
 *
 * `xcapError` is filled when the body is an `application/xcap-error+xml` document
 * (RFC 4825 §11), e.g. `{ type: 'uniqueness-failure', exists: [...] }` on a 409.
 *
 * @example
 * ```ts
 * client.put('resource-lists', xml, { etag }).subscribe({ error: (e) => {
 *   if (e instanceof XcapHttpError && e.status === 412) refetch();
 * }});
 * ```
 */
export class XcapHttpError extends XcapError {
  readonly status: number;
  readonly url: string;
  readonly method: string;
  /** Response headers, lower-case names, credentials redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** Response body as text, cut to {@link MAX_ERROR_BODY_CHARS}. */
  readonly body: string;
  readonly xcapError: XcapErrorDetails | undefined;

  constructor(init: {
    status: number;
    url: string;
    method: string;
    headers: Readonly<Record<string, string | string[] | undefined>>;
    body: string;
    xcapError?: XcapErrorDetails | undefined;
    /** What the status means here, appended to the message (e.g. the credentials were refused). */
    reason?: string | undefined;
  }) {
    const detail = init.xcapError ? ` (${init.xcapError.type})` : '';
    const reason = init.reason ? `: ${init.reason}` : '';
    super(
      'RXCAP_HTTP',
      `${init.method} ${init.url} failed with HTTP ${init.status}${detail}${reason}`,
    );
    this.status = init.status;
    this.url = init.url;
    this.method = init.method;
    this.headers = redactHeaders(init.headers);
    this.body =
      init.body.length > MAX_ERROR_BODY_CHARS
        ? init.body.slice(0, MAX_ERROR_BODY_CHARS)
        : init.body;
    this.xcapError = init.xcapError;
  }
}

/**
 * The {@link XcapHttpError} for a response that is not a success: the body decoded as UTF-8,
 * `xcapError` parsed when it is an `application/xcap-error+xml` document (RFC 4825 §11).
 *
 * @example throw httpErrorOf(res, url, 'GET');
 */
export function httpErrorOf(
  res: {
    readonly status: number;
    readonly headers: Readonly<Record<string, string | string[]>>;
    readonly body: Uint8Array;
  },
  url: string,
  method: string,
  reason?: string,
): XcapHttpError {
  const body = new TextDecoder('utf-8').decode(res.body);
  const ct = res.headers['content-type'];
  const contentType = (Array.isArray(ct) ? ct[0] : ct)?.split(';')[0]?.trim().toLowerCase();
  return new XcapHttpError({
    status: res.status,
    url,
    method,
    headers: res.headers,
    body,
    xcapError: contentType === XCAP_ERROR_MIME ? parseXcapError(body) : undefined,
    reason,
  });
}

/**
 * The request never got a complete answer: connection refused or reset, DNS failure, TLS
 * failure. `cause` holds the underlying error (its `code`, e.g. `ECONNREFUSED`, is copied).
 *
 * @example if (e instanceof XcapNetworkError && e.causeCode === 'ECONNREFUSED') ...
 */
export class XcapNetworkError extends XcapError {
  readonly url: string;
  readonly method: string;
  /** The `code` of the underlying error, e.g. `ECONNREFUSED`, `UND_ERR_SOCKET`. */
  readonly causeCode: string | undefined;

  constructor(init: {
    url: string;
    method: string;
    cause: unknown;
    /** Overrides the cause's own `code` (the fetch transport names what it found out). */
    causeCode?: string | undefined;
    /** What the user can do about it, appended to the message. */
    hint?: string | undefined;
  }) {
    const causeCode = init.causeCode ?? codeOf(init.cause);
    super(
      'RXCAP_NETWORK',
      `${init.method} ${init.url}: network error${causeCode ? ` (${causeCode})` : ''}${init.hint ? `: ${init.hint}` : ''}`,
      { cause: init.cause },
    );
    this.url = init.url;
    this.method = init.method;
    this.causeCode = causeCode;
  }
}

/** Which part of a request ran out of time. */
export type XcapTimeoutPhase = 'connect' | 'headers' | 'body' | 'overall';

/**
 * A request timed out; `phase` tells which limit was hit (connect, headers, body, or the
 * overall `timeoutMs`).
 *
 * @example if (e instanceof XcapTimeoutError) console.warn(`timeout in ${e.phase}`);
 */
export class XcapTimeoutError extends XcapError {
  readonly url: string;
  readonly method: string;
  readonly phase: XcapTimeoutPhase;
  readonly timeoutMs: number | undefined;

  constructor(init: {
    url: string;
    method: string;
    phase: XcapTimeoutPhase;
    timeoutMs?: number | undefined;
    cause?: unknown;
  }) {
    super(
      'RXCAP_TIMEOUT',
      `${init.method} ${init.url}: ${init.phase} timeout${init.timeoutMs !== undefined ? ` after ${init.timeoutMs} ms` : ''}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.url = init.url;
    this.method = init.method;
    this.phase = init.phase;
    this.timeoutMs = init.timeoutMs;
  }
}

/**
 * Authentication could not be attempted: a request sent without credentials got a 401 with a
 * broken, unsupported or missing challenge (no nonce, unknown algorithm, garbage), or the
 * server asked for Basic over plain http or for an XCAP root found through DNS. A 401 to the
 * answer of a fresh challenge (a wrong password) is an {@link XcapHttpError} with status 401
 * saying the server refused the credentials, not this; a 401 without a challenge to a request
 * that used a cached nonce is neither (the nonce is dropped and a new challenge asked for).
 *
 * @example if (e instanceof XcapAuthError) showSettings(e.message);
 */
export class XcapAuthError extends XcapError {
  readonly url: string;
  readonly method: string;

  constructor(init: { url: string; method: string; reason: string }) {
    super('RXCAP_AUTH', `${init.method} ${init.url}: ${init.reason}`);
    this.url = init.url;
    this.method = init.method;
  }
}

/**
 * The response body passed `maxBodyBytes`; the request was aborted (a hostile or broken server
 * must not make us buffer without bound).
 *
 * @example if (e instanceof XcapResponseTooLargeError) console.warn(e.limit);
 */
export class XcapResponseTooLargeError extends XcapError {
  readonly url: string;
  readonly method: string;
  readonly limit: number;

  constructor(init: { url: string; method: string; limit: number }) {
    super(
      'RXCAP_RESPONSE_TOO_LARGE',
      `${init.method} ${init.url}: response body larger than ${init.limit} bytes`,
    );
    this.url = init.url;
    this.method = init.method;
    this.limit = init.limit;
  }
}

/**
 * A node selector is malformed (unbalanced brackets or quotes, unbound prefix, empty step).
 *
 * @example
 * ```ts
 * try { client.url('resource-lists', { node: 'a[@b="c"' }); }
 * catch (e) { if (e instanceof XcapNodeSelectorError) console.log(e.selector, e.position); }
 * ```
 */
export class XcapNodeSelectorError extends XcapError {
  readonly selector: string;
  /** Character offset of the problem, when known. */
  readonly position: number | undefined;

  constructor(selector: string, reason: string, position?: number) {
    super('RXCAP_NODE_SELECTOR', `invalid node selector ${JSON.stringify(selector)}: ${reason}`);
    this.selector = selector;
    this.position = position;
  }
}

/**
 * True for failures worth retrying later: network errors, timeouts, 5xx, 429 and 408. 4xx (except 408/429), auth and selector errors are not transient.
 *
 * @example retry({ count: 5, delay: (e) => (isTransient(e) ? timer(backoff) : throwError(() => e)) })
 */
export function isTransient(error: unknown): boolean {
  // A certificate the client refuses will not become valid by retrying: it is a configuration
  // problem (wrong root, missing CA) that must reach error$ instead of being retried quietly.
  // Likewise a browser refusing a cross-origin answer (CORS): the server's configuration.
  if (error instanceof XcapNetworkError)
    return !isCertificateFailure(error) && !isCorsRefusal(error);
  if (error instanceof XcapTimeoutError) return true;
  if (error instanceof XcapHttpError)
    return error.status >= 500 || error.status === 429 || error.status === 408;
  return false;
}

/**
 * The longest delay {@link retryAfterMs} returns: one day. A server may ask for longer (a
 * 10-year Retry-After, an HTTP-date in year 9999), but such a delay, in ms, overflows a
 * JavaScript timer (2^31-1 ms, about 24.8 days, fires after 1 ms instead) and nobody waits a
 * year for a sync; the manager's backoff caps it further to `backoff.maxDelay`.
 */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

// RFC 9110 §5.6.7: every HTTP-date form (IMF-fixdate, rfc850-date, asctime-date) starts with a
// day name. Anything else is not a date, although `Date.parse` would read "-5" or "10.5" as
// one (years 2001).
const HTTP_DATE_RE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/**
 * The delay the server asked for in `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an
 * HTTP-date), in ms, clamped into [0, {@link MAX_RETRY_AFTER_MS}]; undefined when absent or
 * unparsable (a negative number, a fraction, garbage, two values). `now` is injectable for
 * tests.
 *
 * @example retryAfterMs(err) ?? backoff(attempt)
 */
export function retryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  if (!(error instanceof XcapHttpError)) return undefined;
  const value = error.headers['retry-after']?.trim();
  if (!value) return undefined;
  let ms: number;
  if (/^\d+$/.test(value))
    ms = Number(value) * 1000; // may be Infinity: clamped below
  else if (HTTP_DATE_RE.test(value)) {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  } else return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** OpenSSL / Node codes of a server certificate the client refused. */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/**
 * True when a network error is the client refusing the server's TLS certificate (TLS
 * verification is on by default): not transient, retrying cannot help.
 *
 * @example if (isCertificateFailure(e)) console.error('check the XCAP root or pass a CA');
 */
export function isCertificateFailure(error: unknown): boolean {
  return (
    error instanceof XcapNetworkError &&
    error.causeCode !== undefined &&
    CERTIFICATE_CODES.has(error.causeCode)
  );
}

/** `causeCode` of a network error that is a browser refusing a cross-origin answer. */
export const CORS_REFUSED = 'CORS_REFUSED';

/**
 * True when the fetch transport found that the server is reachable but the browser refused its
 * answer to the page (no or wrong CORS headers, or a preflight the server challenged): not
 * transient, the server or a reverse proxy must be configured (README "In the browser").
 *
 * @example if (isCorsRefusal(e)) console.error(e.message); // says which headers are needed
 */
export function isCorsRefusal(error: unknown): boolean {
  return error instanceof XcapNetworkError && error.causeCode === CORS_REFUSED;
}

function codeOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    if (typeof c === 'string') return c;
  }
  return undefined;
}
