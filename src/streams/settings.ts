/**
 * Account settings as the manager sees them and the pure helpers that derive the
 * connection, the xcap-diff settings and the kind of a settings change from them.
 */
import type { Connection, DiffPatchTrust, DiffSettings } from './ports.js';

/**
 * The settings of one account.
 *
 * @example
 * ```ts
 * const account: AccountSettings = { id: 'alice@example.com', auth: { password: 's3cret' },
 *   xcap: { root: 'https://xcap.example.com/xcap-root' } };
 * ```
 */
export interface AccountSettings {
  /** `alice@example.com` or `sip:alice@example.com`. */
  readonly id: string;
  readonly auth?: { readonly username?: string; readonly password: string };
  /** `root` null/absent: DNS TXT of `xcap.<domain>`. */
  readonly xcap?: {
    readonly root?: string | null;
    readonly xcapDiff?: boolean;
    /**
     * When the RFC 5261 patches an xcap-diff NOTIFY may carry are applied (each confirmed by a
     * conditional GET before it is used): `'secure'` (default) only over a TLS connection to
     * the SIP server (wss, tls), `'always'` also over tcp and ws (opt in: anyone on the path
     * could forge them), `'never'` (always GET the document).
     */
    readonly diffPatches?: DiffPatchTrust;
    /**
     * Accept a plain `http://` root found through DNS (no `root` set). Off by default: a TXT
     * answer is not authenticated, and over http the Digest exchange can be read and the
     * password cracked offline. An `http://` root set in `root` is used as given.
     */
    readonly allowInsecureDiscoveredRoot?: boolean;
  };
  readonly sip?: {
    /** Expires of the xcap-diff SUBSCRIBE in seconds (default 600). */
    readonly subscribeInterval?: number;
    readonly outboundProxy?: string;
    readonly transports?: readonly ('ws' | 'wss' | 'tcp' | 'tls' | 'udp')[];
  };
}

/**
 * The XUI (RFC 4825 §4) of an account: its SIP URI.
 *
 * @example xuiOf({ id: 'alice@example.com' }) // 'sip:alice@example.com'
 */
export function xuiOf(settings: Pick<AccountSettings, 'id'>): string {
  const id = settings.id.trim();
  return /^sips?:/i.test(id) ? id : `sip:${id}`;
}

/**
 * The domain of an account, for the DNS TXT lookup of `xcap.<domain>`.
 *
 * @example domainOf({ id: 'sip:alice@example.com' }) // 'example.com'
 */
export function domainOf(settings: Pick<AccountSettings, 'id'>): string {
  const xui = xuiOf(settings);
  const at = xui.lastIndexOf('@');
  return (at >= 0 ? xui.slice(at + 1) : xui.replace(/^sips?:/i, '')).split(/[;:>]/)[0]!;
}

/**
 * The connection to the XCAP server at `root` for an account. The Digest username defaults to
 * the user part of the XUI (the client's default).
 *
 * @example connectionOf({ id: 'alice@example.com', auth: { password: 'x' } }, 'http://h/xcap-root')
 */
export function connectionOf(settings: AccountSettings, root: string): Connection {
  const password = settings.auth?.password;
  if (password === undefined) return { root, xui: xuiOf(settings) };
  // A root found through DNS (no `xcap.root`) is trusted with Digest only: Basic would hand
  // the password itself to whoever controls that origin (see `xcapRootOf`).
  const basic = settings.xcap?.root ? {} : { allowBasic: false };
  // Without a username the client uses the user part of the XUI, which every server accepts
  // (some accept only the user part as the Digest username).
  const username = settings.auth?.username;
  return username === undefined
    ? { root, xui: xuiOf(settings), password, ...basic }
    : { root, xui: xuiOf(settings), username, password, ...basic };
}

/**
 * The xcap-diff subscription settings of an account.
 *
 * @example diffSettingsOf(settings, 'http://h/xcap-root', ['resource-lists/users/sip:a@b/index'])
 */
export function diffSettingsOf(
  settings: AccountSettings,
  root: string,
  documents: readonly string[],
): DiffSettings {
  const c = connectionOf(settings, root);
  return {
    aor: c.xui,
    xcapRoot: root,
    xui: c.xui,
    subscribeInterval: settings.sip?.subscribeInterval ?? 600,
    documents,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(settings.sip?.outboundProxy !== undefined
      ? { outboundProxy: settings.sip.outboundProxy }
      : {}),
    ...(settings.sip?.transports !== undefined ? { transports: settings.sip.transports } : {}),
    ...(settings.xcap?.diffPatches !== undefined ? { patches: settings.xcap.diffPatches } : {}),
  };
}

/**
 * What a settings change means for a running manager (connection settings restart it, subscription settings renew the subscription).
 *
 * @example if (classifySettingsChange(prev, next) === 'connection') restart();
 */
export type SettingsChangeKind = 'connection' | 'subscription' | 'none';

/**
 * Classifies a change: id, XCAP root or credentials -> `connection` (re-run initializing);
 * subscription settings -> `subscription` (renew the subscription only); else `none`.
 *
 * @example classifySettingsChange(a, { ...a, sip: { subscribeInterval: 300 } }) // 'subscription'
 */
export function classifySettingsChange(
  prev: AccountSettings | null,
  next: AccountSettings,
): SettingsChangeKind {
  if (prev === null) return 'connection';
  if (
    xuiOf(prev) !== xuiOf(next) ||
    (prev.xcap?.root ?? null) !== (next.xcap?.root ?? null) ||
    (prev.xcap?.allowInsecureDiscoveredRoot ?? false) !==
      (next.xcap?.allowInsecureDiscoveredRoot ?? false) ||
    prev.auth?.username !== next.auth?.username ||
    prev.auth?.password !== next.auth?.password
  )
    return 'connection';
  if (
    (prev.xcap?.xcapDiff ?? true) !== (next.xcap?.xcapDiff ?? true) ||
    (prev.xcap?.diffPatches ?? 'secure') !== (next.xcap?.diffPatches ?? 'secure') ||
    (prev.sip?.subscribeInterval ?? 600) !== (next.sip?.subscribeInterval ?? 600) ||
    prev.sip?.outboundProxy !== next.sip?.outboundProxy ||
    (prev.sip?.transports ?? []).join() !== (next.sip?.transports ?? []).join()
  )
    return 'subscription';
  return 'none';
}
