/**
 * One HTTP exchange over undici 7 (Node-only): timeouts per phase, a bounded response body and
 * the mapping of undici's failures to rxcap's typed errors. Knows nothing about XCAP or auth.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { Agent, type Dispatcher, request } from 'undici';
import { XcapError } from '../errors.js';
import {
  XcapNetworkError,
  XcapResponseTooLargeError,
  XcapTimeoutError,
  type XcapTimeoutPhase,
} from './errors.js';

/** Default phase timeouts (ms). */
export const DEFAULT_TIMEOUTS = { connect: 10_000, headers: 30_000, body: 30_000 } as const;
/** Default response body limit: 16 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Phase timeouts in ms. */
export interface XcapTimeouts {
  readonly connect?: number;
  readonly headers?: number;
  readonly body?: number;
}

export interface RawRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | undefined;
}

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers (WWW-Authenticate) as arrays. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Uint8Array;
}

export interface TransportOptions {
  /** undici dispatcher; when absent a shared keep-alive Agent with the connect timeout. */
  readonly dispatcher?: Dispatcher | undefined;
  readonly timeouts: Required<XcapTimeouts>;
  readonly maxBodyBytes: number;
  readonly signal: AbortSignal;
  /** Runs the header and body timers (virtual time in tests). */
  readonly scheduler: SchedulerLike;
}

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
 * Sends one request and reads the whole response body, at most `maxBodyBytes`.
 *
 * @throws XcapNetworkError, XcapTimeoutError, XcapResponseTooLargeError, or the signal's reason
 * @example const res = await sendRequest({ method: 'GET', url, headers: {} }, options);
 */
export async function sendRequest(req: RawRequest, opts: TransportOptions): Promise<RawResponse> {
  const ctx = { url: req.url, method: req.method };
  const dispatcher = opts.dispatcher ?? sharedAgent(opts.timeouts.connect);
  // Header and body timers are ours, not undici's: undici's run on a coarse (~1 s) clock and
  // cannot be driven by a scheduler. The inner controller carries the phase as abort reason.
  const inner = new AbortController();
  const forward = () => inner.abort(opts.signal.reason);
  if (opts.signal.aborted) forward();
  else opts.signal.addEventListener('abort', forward, { once: true });
  let timer: Subscription | undefined;
  const arm = (phase: 'headers' | 'body') => {
    timer?.unsubscribe();
    const ms = opts.timeouts[phase];
    timer = opts.scheduler.schedule(() => {
      inner.abort(new XcapTimeoutError({ ...ctx, phase, timeoutMs: ms }));
    }, ms);
  };
  try {
    arm('headers');
    let res: Dispatcher.ResponseData;
    try {
      res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher,
        signal: inner.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } catch (e) {
      throw mapError(e, ctx, opts, inner.signal);
    }
    arm('body');
    const headers = normalizeHeaders(res.headers);
    const declared = Number(headers['content-length']);
    const tooLarge = () => new XcapResponseTooLargeError({ ...ctx, limit: opts.maxBodyBytes });
    if (Number.isFinite(declared) && declared > opts.maxBodyBytes) {
      // Do not read a body we will refuse; destroying the stream closes the connection.
      res.body.destroy();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > opts.maxBodyBytes) {
          res.body.destroy();
          throw tooLarge();
        }
        chunks.push(chunk);
        arm('body'); // the body timeout is an idle timeout between chunks
      }
    } catch (e) {
      if (e instanceof XcapResponseTooLargeError) throw e;
      throw mapError(e, ctx, opts, inner.signal);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    return { status: res.statusCode, headers, body };
  } finally {
    timer?.unsubscribe();
    opts.signal.removeEventListener('abort', forward);
  }
}

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
