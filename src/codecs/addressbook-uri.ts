/**
 * URI text helpers for values stored inside documents.
 *
 * The reference implementation writes every URI-typed value percent-encoded with Python's
 * `urllib.parse.quote` and reads with `unquote`, so rxcap reads both
 * forms and compares URIs after decoding. It writes SIP/tel URIs plain, and XCAP URIs inside
 * documents with the RFC 4825 §6 encoding of the node selector (`"`, `[`, `]` and the other
 * non-pchar octets), because a plain `[@name="x"]` is not an `xs:anyURI` and python-sipsimple
 * rejects the whole document.
 */

import { decodeUriValue, encodeUriValue, encodeXcapUriInDocument } from './uri-encoding.js';

export { decodeUriValue, encodeUriValue };

/**
 * True when the stored value `stored` (plain or percent-encoded) reads as the URI `uri`. Only the
 * stored side is decoded: `uri` is a decoded model value, and decoding it again would equate
 * `sip:a%2Bb@h` with `sip:a+b@h`.
 *
 * @example sameUri('sip%3Aa%40b', 'sip:a@b') // true
 */
export function sameUri(stored: string, uri: string): boolean {
  return decodeUriValue(stored) === uri;
}

// RFC 3986 §3.3 pchar = unreserved / pct-encoded / sub-delims / ":" / "@". Everything else in a
// path segment is percent-encoded as UTF-8 (RFC 4825 §6: `"`, `[`, `]`, space...).
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

/**
 * Percent-encodes every octet of `s` that is not a pchar (plus the characters in `extra`).
 *
 * @example encodePathSegment('list[@name="a"]') // 'list%5B@name=%22a%22%5D'
 */
export function encodePathSegment(s: string, extra = ''): string {
  let out = '';
  for (const ch of s) {
    if (PCHAR.test(ch) && !extra.includes(ch)) {
      out += ch;
      continue;
    }
    for (const b of new TextEncoder().encode(ch))
      out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The XCAP URI of a document in the users tree: `<root>/<auid>/users/<xui>/<filename>`
 * (RFC 4825 §6). The XUI keeps `:` and `@` plain, the way the reference implementation
 * (python-sipsimple) sends it in its request lines; `/`, `?` and other non-pchar characters of
 * the XUI are encoded.
 *
 * @example documentUri('http://h/xcap-root', 'resource-lists', 'sip:alice@example.com')
 * // 'http://h/xcap-root/resource-lists/users/sip:alice@example.com/index'
 */
export function documentUri(root: string, auid: string, xui: string, filename = 'index'): string {
  return `${root.replace(/\/+$/, '')}/${auid}/users/${encodePathSegment(xui)}/${filename}`;
}

/**
 * The in-document reference to a top-level list of the user's resource-lists document, as
 * written into `rl:external/@anchor`, `ocp:entry/@anc` and rls `resource-list`, with
 * the node selector RFC 4825-encoded.
 *
 * @example listAnchor('http://h/xcap-root', 'sip:alice@example.com', 'oma_buddylist')
 * // 'http://h/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22oma_buddylist%22%5D'
 */
export function listAnchor(root: string, xui: string, listName: string): string {
  return encodeXcapUriInDocument(
    `${documentUri(root, 'resource-lists', xui)}/~~/resource-lists/list[@name="${listName}"]`,
  );
}

/**
 * True when the stored XCAP URI `stored` (plain or percent-encoded) names the same node as
 * `ours` (an XCAP URI below `root`): the same text, or the same AUID, XUI, document and node
 * selector under another spelling of the root — another name of the host, with the same
 * scheme, port and path (`http://localhost:5080/xcap-root` and
 * `http://127.0.0.1:5080/xcap-root`; rxcap cannot tell which names are one server, and another
 * port or path is taken for another server). Two
 * clients configured with the two spellings would otherwise rewrite each other's anchors on
 * every round, forever (test "anchors under another spelling of the XCAP root are kept").
 *
 * @example
 * ```ts
 * sameAnchor('http%3A//localhost/xcap-root/resource-lists/users/sip%3Aa%40b/index/~~/x',
 *   'http://127.0.0.1/xcap-root/resource-lists/users/sip:a@b/index/~~/x', 'http://127.0.0.1/xcap-root') // true
 * ```
 */
export function sameAnchor(stored: string, ours: string, root: string): boolean {
  const a = decodeUriValue(stored.trim());
  const b = decodeUriValue(ours);
  if (a === b) return true;
  const base = decodeUriValue(root).replace(/\/+$/, '');
  if (!b.startsWith(`${base}/`)) return false;
  // `rest` starts with the AUID: AUID, XUI, document and node selector must be equal.
  const rest = b.slice(base.length);
  if (!a.endsWith(rest)) return false;
  const theirs = parseHttpUrl(a.slice(0, a.length - rest.length));
  const mine = parseHttpUrl(base);
  return (
    theirs !== undefined &&
    mine !== undefined &&
    theirs.search === '' &&
    theirs.hash === '' &&
    theirs.username === '' &&
    theirs.password === '' &&
    theirs.protocol === mine.protocol &&
    portOf(theirs) === portOf(mine) &&
    trimSlashes(theirs.pathname) === trimSlashes(mine.pathname)
  );
}

function parseHttpUrl(s: string): URL | undefined {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

function portOf(u: URL): string {
  return u.port !== '' ? u.port : u.protocol === 'https:' ? '443' : '80';
}

function trimSlashes(p: string): string {
  return p.replace(/\/+$/, '');
}
