/**
 * Authentication around the transport (`opts.transport`): answers 401 challenges (Digest RFC 7616, Basic
 * RFC 7617 over https only) and keeps per origin a Digest nonce that later requests may use up
 * front with the next nonce count (RFC 7616 §3.4: nc counts uses of a nonce).
 *
 * Servers differ in how often a nonce may be used. Kamailio's `auth` module accepts a nonce
 * many times (with a growing nc) until it expires, so a request costs one round trip once a
 * nonce is known. OpenXCAP accepts each nonce once and answers any reuse with a 401 that
 * carries NO challenge (regression tests: test/client/openxcap-digest.fake-server.test.ts), so
 * there every request costs a challenge and its answer. The session learns which kind of server
 * it talks to: the first reuse of a nonce is a probe (one at a time); if the server refuses it
 * without saying `stale=true`, nonces are single-use for that origin and requests go without
 * credentials to get their own challenge. Neither kind of server makes a request pay more than
 * one extra round trip in steady state.
 */
import {
  basicAuthorization,
  chooseChallenge,
  type DigestChallenge,
  digestAuthorization,
  newCnonce,
  parseWwwAuthenticate,
} from './digest.js';
import { httpErrorOf, XcapAuthError } from './errors.js';
import type { RawRequest, RawResponse, TransportOptions } from './transport.js';

/** Credentials; kept in a private field so that they never show up in inspect output. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Options of {@link AuthSession}. */
export interface AuthSessionOptions {
  /**
   * Whether Basic may be answered (it is only ever sent over https). False for an XCAP root
   * that did not come from the account's own settings (a DNS TXT record).
   */
  readonly allowBasic?: boolean | undefined;
}

/** A nonce the session may use without asking: `nc` is the count of its last use. */
interface CachedNonce {
  readonly challenge: DigestChallenge;
  nc: number;
}

/** What the session knows about one origin. */
interface OriginState {
  basic: boolean;
  nonce: CachedNonce | undefined;
  /** Whether the server accepts a nonce more than once: learned from the first reuse. */
  reuse: 'unknown' | 'yes' | 'no';
  /** A first reuse is in flight (others go without credentials until it is answered). */
  probing: boolean;
}

/** How one attempt authenticates. */
type Attempt =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic' }
  /** A nonce from an earlier exchange (or an Authentication-Info nextnonce). */
  | { readonly kind: 'cached'; readonly nonce: CachedNonce; readonly nc: number; probe: boolean }
  /** The answer to a challenge received in this exchange. */
  | { readonly kind: 'fresh'; readonly challenge: DigestChallenge };

/** A bound on the attempts of one request: cached, bare, fresh answer, stale answer, and one spare. */
const MAX_ATTEMPTS = 5;

/**
 * Per-client authentication state. Not exported from the package: {@link XcapClient} owns one.
 *
 * @example const res = await session.send(req, transportOptions);
 */
export class AuthSession {
  readonly #credentials: Credentials | undefined;
  readonly #allowBasic: boolean;
  readonly #origins = new Map<string, OriginState>();

  constructor(credentials: Credentials | undefined, options: AuthSessionOptions = {}) {
    this.#credentials = credentials;
    this.#allowBasic = options.allowBasic ?? true;
  }

  /**
   * Sends `req`, answering challenges; returns the final response. A 401 comes back as it is
   * only without credentials; with credentials, a refused answer to a fresh challenge throws an
   * XcapHttpError 401 saying so, and an unusable challenge an XcapAuthError.
   */
  async send(req: RawRequest, opts: TransportOptions): Promise<RawResponse> {
    const url = new URL(req.url);
    // The Digest uri is the request-target as sent (RFC 7616 §3.4). undici sends the parsed
    // URL's pathname + search, so take it from the parsed URL, not by slicing `req.url` (an
    // explicit default port, dot segments or non-ASCII in the root change the text).
    const target = url.pathname + url.search;
    const st = this.#state(url.origin);
    let attempt = this.#take(st);
    let bareResent = false;
    let staleRetried = false;
    for (let n = 0; n < MAX_ATTEMPTS; n++) {
      const authorization = this.#authorization(attempt, req, target);
      const headers = authorization ? { ...req.headers, authorization } : req.headers;
      let res: RawResponse;
      try {
        res = await opts.transport({ ...req, headers }, opts);
      } finally {
        if (attempt.kind === 'cached' && attempt.probe) st.probing = false;
      }
      const next = nextNonce(res, attempt);
      if (next) st.nonce = { challenge: next, nc: 0 };
      if (res.status !== 401 || this.#credentials === undefined) {
        this.#accepted(st, attempt, next !== undefined);
        return res;
      }
      const choice = chooseChallenge(parseWwwAuthenticate(res.headers['www-authenticate']));
      if (attempt.kind === 'cached') {
        // The server no longer takes this nonce: single-use, expired or forgotten. Drop it
        // (unless a concurrent request replaced it already), learn from the first reuse, and
        // answer the new challenge if the 401 carries one, else ask for one.
        if (st.nonce === attempt.nonce) st.nonce = undefined;
        const stale = choice.kind === 'digest' && choice.challenge.stale;
        if (attempt.nc >= 2 && st.reuse === 'unknown' && !stale) {
          st.reuse = 'no';
          if (st.nonce && st.nonce.nc > 0) st.nonce = undefined; // used once: worthless now
        }
        if (choice.kind === 'digest') {
          attempt = { kind: 'fresh', challenge: choice.challenge };
          continue;
        }
        if (!bareResent) {
          bareResent = true;
          attempt = { kind: 'none' };
          continue;
        }
      }
      if (attempt.kind === 'fresh' || attempt.kind === 'basic') {
        // Only a refused answer to a fresh challenge is an authentication failure, unless the
        // nonce went stale meanwhile (RFC 7616 §3.3 stale=true), which is retried once.
        if (
          attempt.kind === 'fresh' &&
          choice.kind === 'digest' &&
          choice.challenge.stale &&
          !staleRetried
        ) {
          staleRetried = true;
          attempt = { kind: 'fresh', challenge: choice.challenge };
          continue;
        }
        if (attempt.kind === 'basic') st.basic = false;
        // The username says whose credentials (a user can tell a typo from a wrong password);
        // it is no secret, the password never appears.
        throw httpErrorOf(
          res,
          req.url,
          req.method,
          `the server refused the credentials of ${JSON.stringify(this.#credentials.username)}`,
        );
      }
      // No credentials were sent: this 401 must carry a challenge we can answer.
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
        if (!this.#allowBasic)
          throw new XcapAuthError({
            url: req.url,
            method: req.method,
            reason:
              'server asks for Basic authentication, but the XCAP root did not come from the account settings (DNS); set xcap.root to send the password with Basic',
          });
        st.basic = true;
        attempt = { kind: 'basic' };
        continue;
      }
      attempt = { kind: 'fresh', challenge: choice.challenge };
    }
    throw new XcapAuthError({
      url: req.url,
      method: req.method,
      reason: 'too many authentication rounds',
    });
  }

  #state(origin: string): OriginState {
    let st = this.#origins.get(origin);
    if (!st) {
      st = { basic: false, nonce: undefined, reuse: 'unknown', probing: false };
      this.#origins.set(origin, st);
    }
    return st;
  }

  /** How the first attempt of a request authenticates, given what is known of the origin. */
  #take(st: OriginState): Attempt {
    if (!this.#credentials) return { kind: 'none' };
    if (st.basic) return { kind: 'basic' };
    const cached = st.nonce;
    if (!cached) return { kind: 'none' };
    // A nonce never used (an Authentication-Info nextnonce) is good for one request anywhere.
    if (cached.nc === 0) {
      cached.nc = 1;
      if (st.reuse === 'no') st.nonce = undefined;
      return { kind: 'cached', nonce: cached, nc: 1, probe: false };
    }
    if (st.reuse === 'yes') return { kind: 'cached', nonce: cached, nc: ++cached.nc, probe: false };
    if (st.reuse === 'unknown' && !st.probing) {
      st.probing = true;
      return { kind: 'cached', nonce: cached, nc: ++cached.nc, probe: true };
    }
    // Single-use nonces, or a probe is out: ask for a challenge of our own.
    return { kind: 'none' };
  }

  /** Bookkeeping after a response other than 401. */
  #accepted(st: OriginState, attempt: Attempt, tookNextNonce: boolean): void {
    if (attempt.kind === 'cached' && attempt.nc >= 2 && st.reuse === 'unknown') st.reuse = 'yes';
    // Keep the nonce just answered for later requests, unless the server uses each nonce once
    // or handed out the next one itself.
    if (attempt.kind === 'fresh' && st.reuse !== 'no' && !tookNextNonce)
      st.nonce = { challenge: attempt.challenge, nc: 1 };
  }

  #authorization(attempt: Attempt, req: RawRequest, target: string): string | undefined {
    const creds = this.#credentials;
    if (!creds || attempt.kind === 'none') return undefined;
    if (attempt.kind === 'basic') return basicAuthorization(creds.username, creds.password);
    const [challenge, nc] =
      attempt.kind === 'fresh' ? [attempt.challenge, 1] : [attempt.nonce.challenge, attempt.nc];
    return digestAuthorization(challenge, {
      username: creds.username,
      password: creds.password,
      method: req.method,
      uri: target,
      nc,
      cnonce: newCnonce(),
      body: req.body,
    });
  }
}

/** RFC 7616 §3.5: Authentication-Info may carry the nonce to use next. */
function nextNonce(res: RawResponse, attempt: Attempt): DigestChallenge | undefined {
  const used =
    attempt.kind === 'fresh'
      ? attempt.challenge
      : attempt.kind === 'cached'
        ? attempt.nonce.challenge
        : undefined;
  const info = res.headers['authentication-info'];
  if (used === undefined || info === undefined) return undefined;
  const params = parseWwwAuthenticate(`Digest ${Array.isArray(info) ? info.join(', ') : info}`)[0]
    ?.params;
  const next = params?.nextnonce;
  return next ? { ...used, nonce: next, stale: false } : undefined;
}
