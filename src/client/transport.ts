/**
 * The HTTP transport port under the XCAP client: one exchange, whole body, typed errors. Two
 * adapters implement it — `undiciTransport` (Node, `./undici-transport.ts`) and
 * `fetchTransport` (browsers and any runtime with `fetch`, `./fetch-transport.ts`) — and the
 * package's entry points choose between them. This file imports neither, so it is
 * browser-safe; it also holds what both adapters share: the phase timers and the body limit.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Dispatcher } from 'undici';
import { XcapResponseTooLargeError, XcapTimeoutError } from './errors.js';

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

/** One request as the transport sends it. */
export interface RawRequest {
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | undefined;
}

/** One whole response. */
export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers (WWW-Authenticate) as arrays where the runtime keeps them apart. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Uint8Array;
}

/** What a transport is given besides the request. */
export interface TransportOptions {
  /** undici dispatcher (the undici transport only; the fetch transport ignores it). */
  readonly dispatcher?: Dispatcher | undefined;
  readonly timeouts: Required<XcapTimeouts>;
  readonly maxBodyBytes: number;
  readonly signal: AbortSignal;
  /** Runs the header and body timers (virtual time in tests). */
  readonly scheduler: SchedulerLike;
  /** The transport that sends each request (the one that received these options). */
  readonly transport: HttpTransport;
}

/**
 * Sends one request and reads the whole response body, at most `maxBodyBytes`. Rejects with
 * `XcapNetworkError`, `XcapTimeoutError`, `XcapResponseTooLargeError`, or the signal's reason.
 *
 * @example
 * ```ts
 * import { fetchTransport, XcapClient } from 'rxcap';
 * const client = new XcapClient({ root, xui, password, transport: fetchTransport });
 * ```
 */
export type HttpTransport = (req: RawRequest, opts: TransportOptions) => Promise<RawResponse>;

/**
 * The phase timers of one exchange, shared by the adapters. Header and body timers are ours,
 * not the runtime's: undici's run on a coarse (~1 s) clock, fetch has none, and neither can be
 * driven by a scheduler. `signal` aborts on the caller's abort or a timeout, whose typed error
 * is the abort reason.
 */
export interface ExchangeGuard {
  readonly signal: AbortSignal;
  /** (Re)starts the timer of a phase; the body timer is an idle timer between chunks. */
  arm(phase: 'headers' | 'body'): void;
  dispose(): void;
}

/**
 * Starts the guard of one exchange.
 *
 * @example const guard = exchangeGuard(req, opts); guard.arm('headers'); ... guard.dispose();
 */
export function exchangeGuard(req: RawRequest, opts: TransportOptions): ExchangeGuard {
  const ctx = { url: req.url, method: req.method };
  const inner = new AbortController();
  const forward = () => inner.abort(opts.signal.reason);
  if (opts.signal.aborted) forward();
  else opts.signal.addEventListener('abort', forward, { once: true });
  let timer: Subscription | undefined;
  return {
    signal: inner.signal,
    arm(phase) {
      timer?.unsubscribe();
      const ms = opts.timeouts[phase];
      timer = opts.scheduler.schedule(() => {
        inner.abort(new XcapTimeoutError({ ...ctx, phase, timeoutMs: ms }));
      }, ms);
    },
    dispose() {
      timer?.unsubscribe();
      opts.signal.removeEventListener('abort', forward);
    },
  };
}

/**
 * Reads a body stream into one array, refusing (and cancelling the stream) past `limit` bytes
 * while it streams, not after: a hostile or broken server must not make us buffer without
 * bound. `onChunk` runs after each chunk (re-arms the body idle timer).
 *
 * @example const body = await readLimited(res.body, limit, () => guard.arm('body'), tooLarge);
 */
export async function readLimited(
  chunks: AsyncIterable<Uint8Array>,
  limit: number,
  onChunk: () => void,
  tooLarge: () => Error,
  cancel: () => void,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > limit) {
      cancel();
      throw tooLarge();
    }
    parts.push(chunk);
    onChunk();
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of parts) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/**
 * The typed error of a body whose declared or streamed size passes the limit.
 *
 * @example throw tooLargeError(req, opts);
 */
export function tooLargeError(req: RawRequest, opts: TransportOptions): XcapResponseTooLargeError {
  return new XcapResponseTooLargeError({
    url: req.url,
    method: req.method,
    limit: opts.maxBodyBytes,
  });
}
