/**
 * The HTTP transport over undici 7 (Node-only): keep-alive connection pools, the connect
 * timeout of the pool, and the mapping of undici's failures to rxcap's typed errors. The Node
 * entry (`rxcap/node`) makes it the default; browsers use `fetchTransport`.
 */
import { Agent, type Dispatcher, request } from 'undici';
import { XcapError } from '../errors.js';
import {
  XcapNetworkError,
  XcapResponseTooLargeError,
  XcapTimeoutError,
  type XcapTimeoutPhase,
} from './errors.js';
import {
  exchangeGuard,
  type HttpTransport,
  type RawRequest,
  type RawResponse,
  readLimited,
  type TransportOptions,
  tooLargeError,
  type XcapTimeouts,
} from './transport.js';

// One keep-alive Agent per connect timeout, shared by every client of the process, so that
// requests reuse connections (the connect timeout is an Agent setting in undici).
const agents = new Map<number, Agent>();

function sharedAgent(connectTimeout: number): Agent {
  let agent = agents.get(connectTimeout);
  if (!agent) {
    // TLS verification stays on (undici's default); a custom `dispatcher` is the way to add CAs.
    agent = new Agent({ connect: { timeout: connectTimeout } });
    agents.set(connectTimeout, agent);
  }
  return agent;
}

/**
 * Sends one request over undici (the `dispatcher` option, else a shared keep-alive Agent) and
 * reads the whole response body, at most `maxBodyBytes`.
 *
 * @throws XcapNetworkError, XcapTimeoutError, XcapResponseTooLargeError, or the signal's reason
 * @example new XcapClient({ root, xui, password, transport: undiciTransport, dispatcher })
 */
export const undiciTransport: HttpTransport = async (
  req: RawRequest,
  opts: TransportOptions,
): Promise<RawResponse> => {
  const ctx = { url: req.url, method: req.method };
  const dispatcher = opts.dispatcher ?? sharedAgent(opts.timeouts.connect);
  const guard = exchangeGuard(req, opts);
  try {
    guard.arm('headers');
    let res: Dispatcher.ResponseData;
    try {
      res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher,
        signal: guard.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (e) {
      throw mapError(e, ctx, opts, guard.signal);
    }
    guard.arm('body');
    const headers = normalizeHeaders(res.headers);
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.maxBodyBytes) {
      // Do not read a body we will refuse; destroying the stream closes the connection.
      res.body.destroy();
      throw tooLargeError(req, opts);
    }
    let body: Uint8Array;
    try {
      body = await readLimited(
        res.body as AsyncIterable<Uint8Array>,
        opts.maxBodyBytes,
        () => guard.arm('body'),
        () => tooLargeError(req, opts),
        () => res.body.destroy(),
      );
    } catch (e) {
      if (e instanceof XcapResponseTooLargeError) throw e;
      throw mapError(e, ctx, opts, guard.signal);
    }
    return { status: res.statusCode, headers, body };
  } finally {
    guard.dispose();
  }
};

function normalizeHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

const TIMEOUT_CODES: Record<string, XcapTimeoutPhase> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
};

function mapError(
  e: unknown,
  ctx: { url: string; method: string },
  opts: TransportOptions,
  signal: AbortSignal,
): unknown {
  // Aborted by us: the reason is either our own typed error (a timeout) or an unsubscribe,
  // whose error nobody observes.
  if (signal.aborted && signal.reason instanceof XcapError) return signal.reason;
  if (e instanceof XcapError) return e;
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const phase = typeof code === 'string' ? TIMEOUT_CODES[code] : undefined;
  if (phase !== undefined)
    return new XcapTimeoutError({
      ...ctx,
      phase,
      timeoutMs: opts.timeouts[phase as keyof XcapTimeouts],
      cause: e,
    });
  if (code === 'ETIMEDOUT')
    return new XcapTimeoutError({
      ...ctx,
      phase: 'connect',
      timeoutMs: opts.timeouts.connect,
      cause: e,
    });
  return new XcapNetworkError({ ...ctx, cause: e });
}
