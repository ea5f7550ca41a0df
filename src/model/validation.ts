/**
 * Validation rules shared by the model constructors and the journal operations.
 *
 * The rules are what the reference implementation (python3-sipsimple) accepts when it reads a
 * document back against its XSDs and value types: one violation there rejects the whole document, so
 * rxcap refuses such values before they are journaled.
 */
import { XcapValidationError } from '../errors.js';

/** Policy of an {@link EventHandling}: the values the addressbook schema allows. */
export type PolicyValue = 'allow' | 'block' | 'default';

/** The policy values of an {@link EventHandling}. */
export const POLICY_VALUES: readonly PolicyValue[] = Object.freeze(['allow', 'block', 'default']);

/**
 * OMA reserved presence rule names (requests that put a contact into one are ignored, as in sipsimple).
 */
export const RESERVED_PRESENCE_POLICIES: readonly string[] = Object.freeze([
  'wp_prs_unlisted',
  'wp_prs_allow_unlisted',
  'wp_prs_block_anonymous',
  'wp_prs_allow_own',
]);

/** An attribute bag: names to string values, or null (written as `nil="true"`, as python-sipsimple does). */
export type Attributes = Readonly<Record<string, string | null>>;

/**
 * Ids are XML NCNames that start with a letter or `_`
 * (`^[a-z_][a-z0-9_.-]*$`, case-insensitive); sipsimple rejects a document with any other id.
 */
const ID_RE = /^[a-z_][a-z0-9_.-]*$/i;

/**
 * True when `id` is an id the reference implementation accepts.
 *
 * @example isValidId('id0123abc') // true
 * @example isValidId('0123-uuid') // false
 */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

/**
 * Throws {@link XcapValidationError} unless `id` is a valid id.
 *
 * @example assertId('id1', 'contact.id')
 */
export function assertId(id: unknown, field: string): string {
  if (!isValidId(id))
    throw new XcapValidationError(
      `${field} must match ^[a-z_][a-z0-9_.-]*$ (an NCName starting with a letter or _), got ${describe(id)}`,
      field,
    );
  return id;
}

/**
 * A fresh random id: `id` followed by 32 hex digits (128 bits from `crypto.getRandomValues`,
 * browser-safe). It starts with a letter, so it is an NCName (python-sipsimple rejects a
 * document with an id such as a bare UUID that starts with a digit).
 *
 * @example generateId() // 'id3f2c...'
 */
export function generateId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `id${hex}`;
}

/**
 * Throws unless a model constructor got an object: JavaScript callers and JSON may pass
 * anything, and the field checks after it would fail with a less clear TypeError.
 *
 * @example assertInit(init, 'Contact', 'contact') // 'Contact needs an object argument'
 */
export function assertInit(init: unknown, what: string, field: string): asserts init is object {
  if (init === null || typeof init !== 'object')
    throw new XcapValidationError(`${what} needs an object argument`, field);
}

/**
 * The id a model constructor was given (validated), or a fresh one when it was given none.
 *
 * @example idOrGenerated(init.id, 'contact.id') // init.id, or 'id3f2c...'
 */
export function idOrGenerated(id: unknown, field: string): string {
  return id === undefined ? generateId() : assertId(id, field);
}

/**
 * Throws unless `policy` is `allow`, `block` or `default` (python-sipsimple rejects a
 * document with any other value).
 *
 * @example assertPolicy('allow', 'presence.policy')
 */
export function assertPolicy(policy: unknown, field: string): PolicyValue {
  if (typeof policy !== 'string' || !(POLICY_VALUES as readonly string[]).includes(policy))
    throw new XcapValidationError(
      `${field} must be one of allow, block, default; got ${describe(policy)}`,
      field,
    );
  return policy as PolicyValue;
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). The rest must be
// non-empty and free of whitespace, control characters and the delimiters that can never
// appear in a URI (`<`, `>`, `"`, `{`, `}`, `|`, `\`, `^`, backtick; RFC 3986 §2, Appendix C).
const GENERIC_URI_RE = /^[a-z][a-z0-9+.-]*:[^\s<>"{}|\\^`]+$/i;
// RFC 3261 §25.1 (simplified): sip(s):[userinfo@]host[:port][;params][?headers]. The user part
// may hold any character except whitespace, `@` and `<>"`. host is a hostname, an IPv4 address
// or an IPv6 reference.
const HOST = String.raw`(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?)`;
const SIP_URI_RE = new RegExp(
  String.raw`^sips?:(?:[^\s@<>"]+@)?${HOST}(?::[0-9]{1,5})?(?:;[^\s?<>"]*)?(?:\?[^\s<>"]*)?$`,
  'i',
);
// RFC 3966 §3: global numbers start with + and hold digits and visual separators; local
// numbers hold hex digits, *, # and separators (and need a phone-context parameter, which
// we do not enforce).
const TEL_URI_RE =
  /^tel:(?:\+[0-9().-]*[0-9][0-9().-]*|[0-9a-f*#().-]*[0-9a-f*#][0-9a-f*#().-]*)(?:;[^\s<>"]*)?$/i;

/**
 * True when `uri` is acceptable as a contact or policy URI: any RFC 3986 `scheme:rest` (the
 * fixture has `xmpp:` URIs), with the stricter RFC 3261 syntax for `sip:`/`sips:` and RFC 3966
 * syntax for `tel:`.
 *
 * @example isValidUri('sip:bob@example.com') // true
 * @example isValidUri('sip:') // false
 */
export function isValidUri(uri: unknown): uri is string {
  if (typeof uri !== 'string' || !GENERIC_URI_RE.test(uri) || hasControl(uri) || !isXmlText(uri))
    return false;
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return SIP_URI_RE.test(uri);
  if (scheme === 'tel') return TEL_URI_RE.test(uri);
  return true;
}

/**
 * Throws {@link XcapValidationError} unless `uri` passes {@link isValidUri}.
 *
 * @example assertUri('tel:+15551234567', 'uri')
 */
export function assertUri(uri: unknown, field: string): string {
  if (!isValidUri(uri))
    throw new XcapValidationError(
      `${field} must be a URI (sip:, sips:, tel: or scheme:rest), got ${describe(uri)}`,
      field,
    );
  return uri;
}

/**
 * Throws unless `value` is a string (names, types).
 *
 * @example assertString('Bob', 'contact.name')
 */
export function assertString(value: unknown, field: string): string {
  if (typeof value !== 'string')
    throw new XcapValidationError(`${field} must be a string, got ${describe(value)}`, field);
  if (!isXmlText(value))
    throw new XcapValidationError(
      `${field} contains a character XML 1.0 cannot carry (control character, lone surrogate, U+FFFE/U+FFFF)`,
      field,
    );
  return value;
}

/**
 * True when `s` only holds characters XML 1.0 can carry (§2.2 Char): names and attribute
 * values end up in documents, and a character the serializer refuses would wedge the journal.
 *
 * @example isXmlText('Bob') // true
 * @example isXmlText('a\u0001') // false
 */
export function isXmlText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    if (c === 0xfffe || c === 0xffff) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/**
 * Throws unless `value` is a boolean.
 *
 * @example assertBoolean(true, 'presence.subscribe')
 */
export function assertBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean')
    throw new XcapValidationError(`${field} must be a boolean, got ${describe(value)}`, field);
  return value;
}

/**
 * Validates an attribute bag and returns a frozen copy. Names are non-empty strings; values
 * are strings or null.
 *
 * @example freezeAttributes({ label: 'work', note: null }, 'contact.attributes')
 */
export function freezeAttributes(value: unknown, field: string): Attributes {
  if (value === undefined || value === null) return Object.freeze({});
  if (typeof value !== 'object' || Array.isArray(value))
    throw new XcapValidationError(`${field} must be an object of strings or null`, field);
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === '')
      throw new XcapValidationError(`${field} must not have an empty attribute name`, field);
    assertString(k, `${field} name`);
    if (v !== null && typeof v !== 'string')
      throw new XcapValidationError(
        `${field}.${k} must be a string or null, got ${describe(v)}`,
        `${field}.${k}`,
      );
    if (v !== null) assertString(v, `${field}.${k}`);
    // defineProperty: a plain assignment to '__proto__' would set the prototype, losing the key.
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return Object.freeze(out);
}

/** Shallow equality of two attribute bags (order-insensitive). */
export function sameAttributes(a: Attributes, b: Attributes): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  if (v === null) return 'null';
  return typeof v;
}
