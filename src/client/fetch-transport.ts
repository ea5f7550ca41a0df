/**
 * The HTTP transport over `fetch` (browsers, workers, Deno, Bun; Node too): the same phase
 * timeouts, abort, streamed body limit and typed errors as the undici transport (fetch has no
 * separate connect phase: the headers timer, started before the request, covers connecting).
 * The browser entry makes it the default.
 *
 * Browser specifics: `credentials: 'omit'`, so that a 401 is ours to answer with Digest and the
 * browser neither opens its own login dialog nor sends cookies; `cache: 'no-store'`, so that the
 * HTTP cache never answers a conditional request in the server's place (rxcap keeps its own
 * cache with ETags); redirects are not followed, as with undici. A cross-origin request that
 * fails is probed once with a `no-cors` HEAD: when the server answers that, it is reachable and
 * the browser refused its answer to the page (CORS), which is a configuration error, not a
 * network outage to retry quietly.
 */
import { XcapError } from '../errors.js';
import {
  CORS_REFUSED,
  XcapAuthError,
  XcapNetworkError,
  XcapResponseTooLargeError,
} from './errors.js';
import {
  exchangeGuard,
  type HttpTransport,
  type RawRequest,
  type RawResponse,
  readLimited,
  type TransportOptions,
  tooLargeError,
} from './transport.js';

/** What {@link createFetchTransport} needs from its environment (tests pass their own). */
export interface FetchTransportOptions {
  /** Default: the global `fetch`, looked up at each request. */
  readonly fetch?: typeof fetch | undefined;
  /** The page's origin; default `globalThis.location?.origin` (none in Node: no CORS probe). */
  readonly origin?: string | undefined;
}

/** The hint of a CORS refusal; the README's "In the browser" section says more. */
export const CORS_HINT =
  'the server answered but the browser refused its answer to this page (CORS): an XCAP server on another origin must answer OPTIONS preflights without a Digest challenge and send Access-Control-Allow-Origin, Access-Control-Allow-Headers and Access-Control-Expose-Headers: ETag, WWW-Authenticate; or serve it from the page origin through a reverse proxy';

const UNREACHABLE_HINT =
  'the server is unreachable, or the browser blocked the request (offline, DNS, refused, mixed content)';

/**
 * A fetch transport with an injected `fetch` and page origin.
 *
 * @example const transport = createFetchTransport({ fetch: myFetch });
 */
export function createFetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  return async (req: RawRequest, opts: TransportOptions): Promise<RawResponse> => {
    const doFetch = options.fetch ?? globalThis.fetch;
    const origin = options.origin ?? pageOrigin();
    const guard = exchangeGuard(req, opts);
    try {
      guard.arm('headers');
      let res: Response;
      try {
        res = await doFetch(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body as BodyInit | undefined,
          signal: guard.signal,
          credentials: 'omit',
          cache: 'no-store',
          redirect: 'manual',
          mode: 'cors',
        });
      } catch (e) {
        throw await fetchFailure(e, req, guard.signal, doFetch, origin);
      }
      if (res.type === 'opaqueredirect')
        throw new XcapNetworkError({
          url: req.url,
          method: req.method,
          cause: undefined,
          causeCode: 'REDIRECT',
          hint: 'the server redirected; redirects are not followed: configure the final XCAP root',
        });
      guard.arm('body');
      const headers = headersOf(res.headers);
      if (res.status === 401 && res.type === 'cors' && headers['www-authenticate'] === undefined) {
        // The 401 reached the page without its challenge: the header is not exposed (CORS
        // responses show only safelisted headers unless the server lists others).
        res.body?.cancel().catch(() => {});
        throw new XcapAuthError({
          url: req.url,
          method: req.method,
          reason:
            'HTTP 401 without a visible WWW-Authenticate: the server must send Access-Control-Expose-Headers: ETag, WWW-Authenticate',
        });
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBodyBytes) {
        // Do not read a body we will refuse; cancelling the stream drops the connection.
        res.body?.cancel().catch(() => {});
        throw tooLargeError(req, opts);
      }
      const stream = res.body;
      let body: Uint8Array = new Uint8Array(0);
      if (stream !== null) {
        const reader = stream.getReader();
        try {
          body = await readLimited(
            chunksOf(reader),
            opts.maxBodyBytes,
            () => guard.arm('body'),
            () => tooLargeError(req, opts),
            () => {
              reader.cancel().catch(() => {});
            },
          );
        } catch (e) {
          if (e instanceof XcapResponseTooLargeError) throw e;
          throw bodyFailure(e, req, guard.signal);
        } finally {
          reader.releaseLock();
        }
      }
      return { status: res.status, headers, body };
    } finally {
      guard.dispose();
    }
  };
}

/**
 * The fetch transport with the global `fetch`: the default of the browser entry.
 *
 * @example new XcapClient({ root, xui, password, transport: fetchTransport })
 */
export const fetchTransport: HttpTransport = createFetchTransport();

function pageOrigin(): string | undefined {
  const loc = (globalThis as { location?: { origin?: unknown } }).location;
  return typeof loc?.origin === 'string' && loc.origin !== 'null' ? loc.origin : undefined;
}

async function* chunksOf(reader: ReadableStreamDefaultReader<Uint8Array>) {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

function headersOf(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  // Headers joins repeated fields with ", " (WWW-Authenticate challenges stay parseable: RFC
  // 9110 §11.6.1 allows a comma-separated list of challenges).
  h.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

function aborted(signal: AbortSignal): unknown {
  // Aborted by us: the reason is our own typed error (a timeout) or an unsubscribe, whose error
  // nobody observes.
  return signal.aborted ? signal.reason : undefined;
}

async function fetchFailure(
  e: unknown,
  req: RawRequest,
  signal: AbortSignal,
  doFetch: typeof fetch,
  origin: string | undefined,
): Promise<unknown> {
  const reason = aborted(signal);
  if (reason !== undefined) return reason;
  if (e instanceof XcapError) return e;
  const ctx = { url: req.url, method: req.method };
  // Node's fetch names the cause (ECONNREFUSED, a certificate code); browsers never do.
  const cause = (e as { cause?: unknown } | null)?.cause;
  const causeCode = codeOf(cause);
  if (causeCode !== undefined) return new XcapNetworkError({ ...ctx, cause: e, causeCode });
  if (origin !== undefined && sameOrigin(req.url, origin) === false) {
    let reachable = false;
    try {
      // Redirect mode stays "follow": fetch refuses a no-cors request with any other (Fetch
      // standard §5.3 step 26), which would make every server look unreachable
      // (browser test "an XCAP server on another origin without CORS is reported as a CORS
      // refusal").
      await doFetch(req.url, {
        method: 'HEAD',
        mode: 'no-cors',
        credentials: 'omit',
        cache: 'no-store',
        signal,
      });
      reachable = true;
    } catch {
      const reason2 = aborted(signal);
      if (reason2 !== undefined) return reason2;
    }
    if (reachable)
      return new XcapNetworkError({ ...ctx, cause: e, causeCode: CORS_REFUSED, hint: CORS_HINT });
  }
  return new XcapNetworkError({
    ...ctx,
    cause: e,
    causeCode: 'FETCH_FAILED',
    hint: UNREACHABLE_HINT,
  });
}

function bodyFailure(e: unknown, req: RawRequest, signal: AbortSignal): unknown {
  const reason = aborted(signal);
  if (reason !== undefined) return reason;
  if (e instanceof XcapError) return e;
  return new XcapNetworkError({ url: req.url, method: req.method, cause: e });
}

function sameOrigin(url: string, origin: string): boolean | undefined {
  try {
    return new URL(url).origin === origin;
  } catch {
    return undefined;
  }
}

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}
