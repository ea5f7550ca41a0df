/**
 * HTTP Digest access authentication (RFC 7616) and Basic (RFC 7617) for the XCAP client:
 * parsing `WWW-Authenticate`, choosing the strongest usable challenge and computing the
 * `Authorization` value. Pure except for the cnonce, which comes from
 * `globalThis.crypto.getRandomValues`.
 */
import { type DigestHashName, hexHash } from './hash.js';

/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** Lower-case scheme, e.g. `digest`, `basic`. */
  readonly scheme: string;
  /** Lower-case parameter names -> unquoted values. */
  readonly params: Readonly<Record<string, string>>;
}

/** A Digest challenge that rxcap can answer. */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  readonly hash: DigestHashName;
  /** `-sess` variant (RFC 7616 §3.4.2). */
  readonly sess: boolean;
  /** The qop we will use, undefined for the RFC 2069 compatibility mode (no qop offered). */
  readonly qop: 'auth' | 'auth-int' | undefined;
  readonly stale: boolean;
  readonly userhash: boolean;
  /** The `algorithm` token as the server wrote it, echoed back in the response. */
  readonly algorithmToken: string | undefined;
}

/** The outcome of picking a challenge. */
export type ChallengeChoice =
  | { readonly kind: 'digest'; readonly challenge: DigestChallenge }
  | { readonly kind: 'basic'; readonly realm: string | undefined }
  | { readonly kind: 'unusable'; readonly reason: string };

const HASH_STRENGTH: Record<DigestHashName, number> = { MD5: 1, 'SHA-256': 2, 'SHA-512-256': 3 };

/**
 * Parses one or more `WWW-Authenticate` header values into challenges. Never throws: text that
 * cannot be parsed ends the list (the caller then finds no usable challenge).
 *
 * @example parseWwwAuthenticate('Digest realm="r", nonce="n", qop="auth"')
 * // [{ scheme: 'digest', params: { realm: 'r', nonce: 'n', qop: 'auth' } }]
 */
export function parseWwwAuthenticate(
  values: string | readonly string[] | undefined,
): AuthChallenge[] {
  if (values === undefined) return [];
  const list = typeof values === 'string' ? [values] : values;
  const out: AuthChallenge[] = [];
  for (const v of list) out.push(...parseOneHeader(v));
  return out;
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

function parseOneHeader(s: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const skipWsCommas = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const token = (): string | undefined => {
    const m = TOKEN_RE.exec(s.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string | undefined => {
    // quoted-string with quoted-pair (RFC 9110 §5.6.4)
    let v = '';
    i++;
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\\' && i + 1 < s.length) {
        v += s[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return v;
      } else {
        v += c;
        i++;
      }
    }
    return undefined;
  };
  skipWsCommas();
  while (i < s.length) {
    const scheme = token();
    if (scheme === undefined) return out;
    const params: Record<string, string> = {};
    skipWs();
    for (;;) {
      skipWsCommas();
      if (i >= s.length) break;
      const save = i;
      const name = token();
      if (name === undefined) return [...out, { scheme: scheme.toLowerCase(), params }];
      skipWs();
      if (s[i] !== '=') {
        // Not a parameter: the start of the next challenge.
        i = save;
        break;
      }
      i++;
      skipWs();
      let value: string | undefined;
      if (s[i] === '"') value = quoted();
      else value = token();
      if (value === undefined) return [...out, { scheme: scheme.toLowerCase(), params }];
      params[name.toLowerCase()] = value;
    }
    out.push({ scheme: scheme.toLowerCase(), params });
  }
  return out;
}

/**
 * Picks the strongest challenge we can answer: Digest with the strongest algorithm
 * (SHA-512-256 > SHA-256 > MD5), else Basic, else `unusable` with a reason that names no
 * credential.
 *
 * @example chooseChallenge(parseWwwAuthenticate('Digest realm="r", nonce="n"')).kind // 'digest'
 */
export function chooseChallenge(challenges: readonly AuthChallenge[]): ChallengeChoice {
  let best: DigestChallenge | undefined;
  const problems: string[] = [];
  let basic: { realm: string | undefined } | undefined;
  for (const c of challenges) {
    if (c.scheme === 'basic') {
      basic ??= { realm: c.params.realm };
      continue;
    }
    if (c.scheme !== 'digest') continue;
    const d = toDigestChallenge(c.params);
    if (typeof d === 'string') {
      problems.push(d);
      continue;
    }
    if (!best || HASH_STRENGTH[d.hash] > HASH_STRENGTH[best.hash]) best = d;
  }
  if (best) return { kind: 'digest', challenge: best };
  if (basic) return { kind: 'basic', realm: basic.realm };
  if (problems.length > 0)
    return { kind: 'unusable', reason: `unusable Digest challenge: ${problems.join('; ')}` };
  if (challenges.length === 0)
    return { kind: 'unusable', reason: 'missing or unparsable WWW-Authenticate challenge' };
  return {
    kind: 'unusable',
    reason: `unsupported authentication scheme(s): ${challenges.map((c) => c.scheme).join(', ')}`,
  };
}

function toDigestChallenge(p: Readonly<Record<string, string>>): DigestChallenge | string {
  if (p.realm === undefined) return 'missing realm';
  if (p.nonce === undefined || p.nonce === '') return 'missing nonce';
  const algorithmToken = p.algorithm;
  const alg = (algorithmToken ?? 'MD5').toUpperCase();
  const sess = alg.endsWith('-SESS');
  const base = sess ? alg.slice(0, -5) : alg;
  if (base !== 'MD5' && base !== 'SHA-256' && base !== 'SHA-512-256')
    return `unsupported algorithm ${JSON.stringify(algorithmToken).slice(0, 40)}`;
  let qop: DigestChallenge['qop'];
  if (p.qop !== undefined) {
    const offered = p.qop.split(',').map((q) => q.trim().toLowerCase());
    if (offered.includes('auth')) qop = 'auth';
    else if (offered.includes('auth-int')) qop = 'auth-int';
    else return `unsupported qop ${JSON.stringify(p.qop).slice(0, 40)}`;
  }
  return {
    realm: p.realm,
    nonce: p.nonce,
    opaque: p.opaque,
    hash: base,
    sess,
    qop,
    stale: p.stale?.toLowerCase() === 'true',
    userhash: p.userhash?.toLowerCase() === 'true',
    algorithmToken,
  };
}

/** Inputs of one Digest response. */
export interface DigestResponseInput {
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** The request-target as sent (path and query). */
  readonly uri: string;
  /** Nonce count, 1 for the first use of a nonce (RFC 7616 §3.4). */
  readonly nc: number;
  readonly cnonce: string;
  /** Request body, needed only for qop=auth-int. */
  readonly body?: string | Uint8Array | undefined;
}

/**
 * The `Authorization` header value answering a Digest challenge (RFC 7616 §3.4; RFC 2069 form
 * when the server offered no qop).
 *
 * @example
 * ```ts
 * digestAuthorization(challenge, { username: 'Mufasa', password: 'Circle of Life',
 *   method: 'GET', uri: '/dir/index.html', nc: 1, cnonce })
 * ```
 */
export function digestAuthorization(ch: DigestChallenge, input: DigestResponseInput): string {
  const response = digestResponse(ch, input);
  const ncHex = input.nc.toString(16).padStart(8, '0');
  const parts: string[] = [];
  if (ch.userhash) {
    parts.push(`username="${hexHash(ch.hash, `${input.username}:${ch.realm}`)}"`);
  } else if (/^[\x20-\x7e]*$/.test(input.username)) {
    parts.push(`username=${quote(input.username)}`);
  } else {
    // RFC 7616 §3.4.4: non-ASCII usernames go in username* (RFC 5987 ext-value).
    // RFC 8187 §3.2.1 attr-char excludes ' ( ) *, which encodeURIComponent leaves alone.
    const ext = encodeURIComponent(input.username).replace(
      /['()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    parts.push(`username*=UTF-8''${ext}`);
  }
  parts.push(`realm=${quote(ch.realm)}`, `nonce=${quote(ch.nonce)}`, `uri=${quote(input.uri)}`);
  if (ch.algorithmToken !== undefined) parts.push(`algorithm=${ch.algorithmToken}`);
  parts.push(`response="${response}"`);
  if (ch.qop !== undefined)
    parts.push(`qop=${ch.qop}`, `nc=${ncHex}`, `cnonce=${quote(input.cnonce)}`);
  if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
  if (ch.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

/**
 * The `response` value of RFC 7616 §3.4.1 (hex).
 *
 * @example digestResponse(ch, input) // '8ca523f5e9506fed4657c9700eebdbec' for the §3.9.1 MD5 example
 */
export function digestResponse(ch: DigestChallenge, input: DigestResponseInput): string {
  const H = (s: string) => hexHash(ch.hash, s);
  let ha1 = H(`${input.username}:${ch.realm}:${input.password}`);
  if (ch.sess) ha1 = H(`${ha1}:${ch.nonce}:${input.cnonce}`);
  const ha2 =
    ch.qop === 'auth-int'
      ? H(`${input.method}:${input.uri}:${hexHash(ch.hash, input.body ?? '')}`)
      : H(`${input.method}:${input.uri}`);
  if (ch.qop === undefined) return H(`${ha1}:${ch.nonce}:${ha2}`);
  const ncHex = input.nc.toString(16).padStart(8, '0');
  return H(`${ha1}:${ch.nonce}:${ncHex}:${input.cnonce}:${ch.qop}:${ha2}`);
}

/**
 * The `Authorization` value for Basic (RFC 7617), UTF-8. Only ever sent over https.
 *
 * @example basicAuthorization('a', 'b') // 'Basic YTpi'
 */
export function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/**
 * A fresh client nonce: 16 random bytes from `crypto.getRandomValues`, hex.
 *
 * @example newCnonce().length // 32
 */
export function newCnonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}
