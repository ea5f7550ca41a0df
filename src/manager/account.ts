/**
 * The account as the manager accepts it: the settings are checked when they arrive (they come
 * from the application, often from a form or a config file), and the store of an account is
 * keyed by its canonical XUI so that every spelling of one account finds the same cache and
 * journal (regression test "alice@example.com and sip:alice@example.com are one store").
 */
import { XcapValidationError } from '../errors.js';
import type { AccountSettings } from '../streams/settings.js';

const TRANSPORTS = ['ws', 'wss', 'tcp', 'tls', 'udp'] as const;
/** Longest account id accepted (a SIP URI is short; a megabyte string is a mistake). */
const MAX_ID_LENGTH = 1024;
/** Longest SUBSCRIBE expiry accepted, seconds (one week). */
const MAX_SUBSCRIBE_INTERVAL = 604_800;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isUrl(text: string): boolean {
  try {
    return new URL(text).hostname !== '';
  } catch {
    return false;
  }
}

/** A host name, IPv4 or bracketed IPv6 address, with an optional port 1..65535. */
const HOST_PORT = /^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i;

/**
 * The forms `sip.outboundProxy` takes (see the SIP targets): a ws/wss URL, a sip/sips URI or
 * host:port. Garbage used to be accepted and only showed as a SIP connection that never came
 * up (regression test "a garbage outbound proxy: createXcapManager throws ...").
 */
function isProxy(text: string): boolean {
  const t = text.trim().replace(/^<(.*)>$/, '$1');
  const ws = /^wss?:\/\/([^/?#\s]+)[^\s]*$/i.exec(t);
  const sip = /^sips?:(?:[^@;\s]*@)?([^;?\s]+)[^\s]*$/i.exec(t);
  const hostPort = ws?.[1] ?? sip?.[1] ?? t;
  const m = HOST_PORT.exec(hostPort);
  if (m === null) return false;
  const port = m[1] === undefined ? 1 : Number(m[1]);
  return port >= 1 && port <= 65_535;
}

function fail(message: string, field: string): never {
  throw new XcapValidationError(message, field);
}

function optionalString(v: unknown, field: string): void {
  if (v !== undefined && typeof v !== 'string') fail(`${field} must be a string`, field);
}

/**
 * Checks a settings value and returns it; throws {@link XcapValidationError} naming the field.
 *
 * @example checkAccountSettings({ id: 'alice@example.com', auth: { password: 'x' } })
 */
export function checkAccountSettings(value: unknown): AccountSettings {
  if (!isObject(value)) fail('the account settings must be an object', 'account');
  const { id, auth, xcap, sip } = value;
  if (typeof id !== 'string' || id.trim() === '')
    fail('account.id must be a non-empty string', 'account.id');
  if (id.length > MAX_ID_LENGTH || /\s/.test(id.trim()))
    fail(
      `account.id must be a SIP URI or user@domain of at most ${MAX_ID_LENGTH} characters`,
      'account.id',
    );
  if (/^sips?:$/i.test(id.trim())) fail('account.id has no user or domain', 'account.id');
  // The XUI of a user's documents is an AOR (RFC 4825 §4): user@domain. Without a domain the
  // server answers 401/403 to every request and nothing says why (regression test "an account
  // id without a domain is refused synchronously").
  if (!/^[^@]+@[^@;:>]+/.test(id.trim().replace(/^sips?:/i, '')))
    fail(
      `account.id must be user@domain or a SIP URI with a user and a domain (got ${JSON.stringify(id.trim().slice(0, 64))})`,
      'account.id',
    );
  if (auth !== undefined) {
    if (!isObject(auth)) fail('account.auth must be an object', 'account.auth');
    if (typeof auth.password !== 'string')
      fail('account.auth.password must be a string', 'account.auth.password');
    optionalString(auth.username, 'account.auth.username');
  }
  if (xcap !== undefined) {
    if (!isObject(xcap)) fail('account.xcap must be an object', 'account.xcap');
    const root = xcap.root;
    if (root !== undefined && root !== null) {
      if (typeof root !== 'string' || !/^https?:\/\/[^/\s]+/i.test(root) || !isUrl(root))
        fail(
          'account.xcap.root must be an http(s) URL (scheme and host, e.g. https://xcap.example.com/xcap-root) or null',
          'account.xcap.root',
        );
    }
    if (
      xcap.allowInsecureDiscoveredRoot !== undefined &&
      typeof xcap.allowInsecureDiscoveredRoot !== 'boolean'
    )
      fail(
        'account.xcap.allowInsecureDiscoveredRoot must be a boolean',
        'account.xcap.allowInsecureDiscoveredRoot',
      );
    if (xcap.xcapDiff !== undefined && typeof xcap.xcapDiff !== 'boolean')
      fail('account.xcap.xcapDiff must be a boolean', 'account.xcap.xcapDiff');
    if (
      xcap.diffPatches !== undefined &&
      !(['secure', 'always', 'never'] as unknown[]).includes(xcap.diffPatches)
    )
      fail(
        "account.xcap.diffPatches must be 'secure', 'always' or 'never'",
        'account.xcap.diffPatches',
      );
  }
  if (sip !== undefined) {
    if (!isObject(sip)) fail('account.sip must be an object', 'account.sip');
    const s = sip.subscribeInterval;
    if (
      s !== undefined &&
      (typeof s !== 'number' || !Number.isInteger(s) || s < 1 || s > MAX_SUBSCRIBE_INTERVAL)
    )
      fail(
        `account.sip.subscribeInterval must be an integer from 1 to ${MAX_SUBSCRIBE_INTERVAL} (seconds)`,
        'account.sip.subscribeInterval',
      );
    optionalString(sip.outboundProxy, 'account.sip.outboundProxy');
    if (typeof sip.outboundProxy === 'string' && !isProxy(sip.outboundProxy))
      fail(
        "account.sip.outboundProxy must be a WebSocket URL ('wss://sip.example.com/ws'), a SIP URI ('sip:sip.example.com:5060;transport=tcp') or host:port",
        'account.sip.outboundProxy',
      );
    const t = sip.transports;
    if (
      t !== undefined &&
      (!Array.isArray(t) || t.some((x) => !(TRANSPORTS as readonly unknown[]).includes(x)))
    )
      fail(
        `account.sip.transports must list some of ${TRANSPORTS.join(', ')}`,
        'account.sip.transports',
      );
  }
  return value as unknown as AccountSettings;
}

/**
 * The canonical account (normalized XUI, RFC 3261 §19.1.4: the scheme and the host compare
 * case-insensitively, the user part does not): the first segment of the account's store keys.
 *
 * @example canonicalAccount('SIP:alice@Example.COM') // 'sip:alice@example.com'
 */
export function canonicalAccount(id: string): string {
  const trimmed = id.trim();
  const m = /^(sips?):(.*)$/i.exec(trimmed);
  const scheme = m ? m[1]!.toLowerCase() : 'sip';
  const rest = m ? m[2]! : trimmed;
  const at = rest.lastIndexOf('@');
  return at < 0
    ? `${scheme}:${rest.toLowerCase()}`
    : `${scheme}:${rest.slice(0, at)}@${rest.slice(at + 1).toLowerCase()}`;
}

/**
 * Other spellings a store of this account may have been written under (stores used to be keyed
 * by the id as typed), most likely first; never the canonical one.
 *
 * @example accountSpellings('sip:alice@example.com') // ['alice@example.com']
 */
export function accountSpellings(id: string): string[] {
  const trimmed = id.trim();
  const bare = trimmed.replace(/^sips?:/i, '');
  const canonical = canonicalAccount(id);
  const candidates = [
    trimmed,
    bare,
    `sip:${bare}`,
    canonical.replace(/^sips?:/, ''),
    bare.toLowerCase(),
  ];
  return [...new Set(candidates)].filter((c) => c !== canonical && c !== '');
}
