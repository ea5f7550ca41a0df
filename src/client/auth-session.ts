/**
 * Authentication around the transport (`opts.transport`): answers 401 challenges (Digest RFC 7616, Basic
 * RFC 7617 over https only) and caches the Digest challenge per origin so that later requests
 * authenticate up front with the next nonce count (RFC 7616 §3.4: nc counts uses of a nonce).
 */
import {
  basicAuthorization,
  chooseChallenge,
  type DigestChallenge,
  digestAuthorization,
  newCnonce,
  parseWwwAuthenticate,
} from './digest.js';
import { XcapAuthError } from './errors.js';
import type { RawRequest, RawResponse, TransportOptions } from './transport.js';

/** Credentials; kept in a private field so that they never show up in inspect output. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

type CachedAuth = { kind: 'digest'; challenge: DigestChallenge; nc: number } | { kind: 'basic' };

/**
 * Per-client authentication state. Not exported from the package: {@link XcapClient} owns one.
 *
 * @example const res = await session.send(req, transportOptions);
 */
export class AuthSession {
  readonly #credentials: Credentials | undefined;
  readonly #cache = new Map<string, CachedAuth>();

  constructor(credentials: Credentials | undefined) {
    this.#credentials = credentials;
  }

  /** Sends `req`, answering at most a few challenges; returns the final response (maybe 401). */
  async send(req: RawRequest, opts: TransportOptions): Promise<RawResponse> {
    const url = new URL(req.url);
    const origin = url.origin;
    // The Digest uri is the request-target as sent (RFC 7616 §3.4). undici sends the parsed
    // URL's pathname + search, so take it from the parsed URL, not by slicing `req.url` (an
    // explicit default port, dot segments or non-ASCII in the root change the text).
    const target = url.pathname + url.search;
    let fresh = false; // the last attempt answered a challenge received in this exchange
    let staleRetried = false;
    let basicSent = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      const authorization = this.#authorization(origin, req, target);
      const headers = authorization ? { ...req.headers, authorization } : req.headers;
      const res = await opts.transport({ ...req, headers }, opts);
      this.#takeNextNonce(origin, res);
      if (res.status !== 401 || this.#credentials === undefined) return res;
      const choice = chooseChallenge(parseWwwAuthenticate(res.headers['www-authenticate']));
      if (choice.kind === 'unusable')
        throw new XcapAuthError({ url: req.url, method: req.method, reason: choice.reason });
      if (choice.kind === 'basic') {
        if (url.protocol !== 'https:')
          throw new XcapAuthError({
            url: req.url,
            method: req.method,
            reason:
              'server asks for Basic authentication over plain http; refusing to send the password',
          });
        if (basicSent) return res;
        basicSent = true;
        this.#cache.set(origin, { kind: 'basic' });
        continue;
      }
      const { challenge } = choice;
      if (fresh) {
        // A fresh nonce was refused: wrong credentials, unless the server says the nonce went
        // stale meanwhile (RFC 7616 §3.3 stale=true), which we retry once.
        if (!challenge.stale || staleRetried) {
          this.#cache.set(origin, { kind: 'digest', challenge, nc: 0 });
          return res;
        }
        staleRetried = true;
      }
      // First challenge, a stale nonce, or a cached nonce the server no longer accepts
      // (single-use nonces): answer the new challenge.
      this.#cache.set(origin, { kind: 'digest', challenge, nc: 0 });
      fresh = true;
    }
    throw new XcapAuthError({
      url: req.url,
      method: req.method,
      reason: 'too many authentication rounds',
    });
  }

  #authorization(origin: string, req: RawRequest, target: string): string | undefined {
    const creds = this.#credentials;
    const cached = this.#cache.get(origin);
    if (!creds || !cached) return undefined;
    if (cached.kind === 'basic') return basicAuthorization(creds.username, creds.password);
    cached.nc += 1;
    return digestAuthorization(cached.challenge, {
      username: creds.username,
      password: creds.password,
      method: req.method,
      uri: target,
      nc: cached.nc,
      cnonce: newCnonce(),
      body: req.body,
    });
  }

  /** RFC 7616 §3.5: Authentication-Info may carry the nonce to use next. */
  #takeNextNonce(origin: string, res: RawResponse): void {
    const cached = this.#cache.get(origin);
    if (cached?.kind !== 'digest') return;
    const info = res.headers['authentication-info'];
    if (info === undefined) return;
    const params = parseWwwAuthenticate(`Digest ${Array.isArray(info) ? info.join(', ') : info}`)[0]
      ?.params;
    const next = params?.nextnonce;
    if (next)
      this.#cache.set(origin, {
        ...cached,
        challenge: { ...cached.challenge, nonce: next, stale: false },
        nc: 0,
      });
  }
}
