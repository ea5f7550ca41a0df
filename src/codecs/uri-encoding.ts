/**
 * URI values inside XCAP documents.
 *
 * The reference implementation (python3-sipsimple) writes every URI-typed value through
 * Python's `quote(safe='/')`, e.g. `sip%3Abob%40example.com`, and reads them back with
 * `unquote`. We read both forms with {@link decodeUriValue},
 * write SIP/tel URIs plain, and write XCAP URIs that carry a node selector (`external/@anchor`,
 * `entry-ref/@ref`, rls `resource-list`, `ocp:entry/@anc`) with {@link encodeXcapUriInDocument}:
 * a plain `[@name="x"]` is not a valid `xs:anyURI` and sipsimple rejects the whole document.
 */

const HEX = '0123456789ABCDEF';
const PCT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Percent-decodes `s` as UTF-8 (like Python's `unquote`), leaving malformed sequences as they
 * are: a `%` not followed by two hex digits, and escaped bytes that are not valid UTF-8, stay
 * unchanged, so nothing is lost.
 *
 * @example
 * ```ts
 * decodeUriValue('sip%3Ajos%C3%A9%40example.com'); // 'sip:josé@example.com'
 * decodeUriValue('sip:bob@example.com'); // unchanged
 * decodeUriValue('100%'); // '100%'
 * ```
 */
export function decodeUriValue(s: string): string {
  if (s.indexOf('%') < 0) return s;
  return s.replace(PCT_RUN, (run) => {
    const bytes: number[] = [];
    for (let i = 0; i < run.length; i += 3)
      bytes.push(Number.parseInt(run.slice(i + 1, i + 3), 16));
    return decodeUtf8Lenient(bytes, run);
  });
}

/** Decodes UTF-8 bytes; each byte that is not part of a valid sequence keeps its `%XX` text. */
function decodeUtf8Lenient(bytes: readonly number[], run: string): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    let cp = need === 0 ? b : need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
    let ok = need >= 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    // Reject overlong forms, surrogates and values above U+10FFFF.
    if (
      ok &&
      ((need === 2 && cp < 0x800) ||
        (need === 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
    )
      ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += run.slice(i * 3, i * 3 + 3);
      i += 1;
    }
  }
  return out;
}

const URI_VALUE_SPECIAL = /[%[\]#]/g;

/**
 * The stored form of a plain URI (a contact, policy or list entry URI): the URI itself, with
 * `%`, `[`, `]` and `#` percent-encoded.
 * - Readers percent-decode stored values ({@link decodeUriValue}, and sipsimple's `unquote`), so a URI that holds an escape such as `sip:a%2Bb@h` (RFC 3261 §25.1 allows
 *   escaped user parts) must be stored as `sip:a%252Bb@h` to read back unchanged.
 * - These attributes are `xs:anyURI` in sipsimple's schemas, and libxml2's check (RFC 3986
 *   syntax) refuses `[`/`]` outside an authority and a second `#`; a SIP or tel URI
 *   has no authority, so `sip:bob@[2001:db8::1]` must be stored as `sip:bob@%5B2001:db8::1%5D`.
 * Ordinary URIs stay plain.
 *
 * @example
 * ```ts
 * encodeUriValue('sip:bob@example.com'); // 'sip:bob@example.com'
 * encodeUriValue('sip:a%2Bb@example.com'); // 'sip:a%252Bb@example.com'
 * encodeUriValue('sip:bob@[::1]'); // 'sip:bob@%5B::1%5D'
 * ```
 */
export function encodeUriValue(uri: string): string {
  URI_VALUE_SPECIAL.lastIndex = 0;
  return URI_VALUE_SPECIAL.test(uri)
    ? uri.replace(URI_VALUE_SPECIAL, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    : uri;
}

function pct(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  return out;
}

// RFC 3986 §2.2/§2.3 plus the general delimiters a URI keeps as structure, and "%" (handled
// separately). Everything else -- `"`, `[`, `]` outside the host, space, `<>{}|\^` and
// backquote, controls and non-ASCII -- is encoded (RFC 4825 §6 requires the node selector's
// `"`, `[`, `]` to be percent-encoded inside a URI).
const KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]/;

/**
 * Encodes an XCAP URI for use inside a document (RFC 4825 §6: node-selector characters that are
 * not allowed in a URI as UTF-8 `%XX`). Existing `%XX` escapes are kept; a `%` that starts no
 * escape becomes `%25`. An IPv6 host literal `[...]` in the authority keeps its brackets.
 *
 * @example
 * ```ts
 * encodeXcapUriInDocument('http://h/xcap-root/resource-lists/users/sip:a@h/index/~~/resource-lists/list[@name="x"]');
 * // 'http://h/xcap-root/resource-lists/users/sip:a@h/index/~~/resource-lists/list%5B@name=%22x%22%5D'
 * ```
 */
export function encodeXcapUriInDocument(s: string): string {
  // Keep an IPv6 literal in the authority ("scheme://[v6]:port/...") unencoded.
  let head = '';
  let rest = s;
  const auth = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(s);
  if (auth?.[0].includes('[')) {
    head = auth![0];
    rest = s.slice(head.length);
  }
  let out = head;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '%') {
      out += /^[0-9A-Fa-f]{2}$/.test(rest.slice(i + 1, i + 3)) ? '%' : '%25';
    } else if (KEEP.test(c)) out += c;
    else {
      const cp = rest.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out += pct(ch);
      i += ch.length - 1;
    }
  }
  return out;
}

/**
 * Encodes like Python's `urllib.parse.quote(s, safe='/')`, the form python3-sipsimple writes: everything but alphanumerics and `/-_.~` as UTF-8 `%XX`. Useful to produce
 * byte-identical documents in interoperability tests; rxcap itself writes SIP URIs plain.
 *
 * @example
 * ```ts
 * quoteLikeSipsimple('sip:bob+x@example.com'); // 'sip%3Abob%2Bx%40example.com'
 * ```
 */
export function quoteLikeSipsimple(s: string): string {
  let out = '';
  for (const ch of s) out += /^[A-Za-z0-9/_.~-]$/.test(ch) ? ch : pct(ch);
  return out;
}
