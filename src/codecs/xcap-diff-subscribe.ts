/**
 * The SUBSCRIBE side of the `xcap-diff` event package (RFC 5875 §4.4): which document URIs to
 * watch and the resource-lists body that names them. Split from xcap-diff.ts (the NOTIFY
 * decoder), which re-exports everything public here.
 */
import { NS } from './xml/tree.js';

/**
 * The XUI in the form both sides compare and encode: a bare `user@host` gets `sip:`; a
 * `sip:`, `sips:` or `tel:` XUI (RFC 4825 §4: a XUI is a SIP or tel URI) is kept as it is.
 *
 * @example normalizeXui('alice@example.com') // 'sip:alice@example.com'
 * @example normalizeXui('tel:+15551234567') // 'tel:+15551234567'
 */
export function normalizeXui(xui: string): string {
  const x = xui.trim();
  return /^(?:sips?|tel):/i.test(x) ? x : `sip:${x}`;
}

/** The documents rxcap watches by default (python-sipsimple's document layout). */
export const DEFAULT_WATCHED_DOCUMENTS: readonly { auid: string; filename: string }[] = [
  { auid: 'resource-lists', filename: 'index' },
  { auid: 'rls-services', filename: 'index' },
  { auid: 'org.openmobilealliance.pres-rules', filename: 'index' },
  { auid: 'pres-rules', filename: 'index' },
  { auid: 'org.openxcap.dialog-rules', filename: 'index' },
  { auid: 'pidf-manipulation', filename: 'index' },
  { auid: 'org.openmobilealliance.pres-content', filename: 'oma_status-icon/index' },
];

/**
 * The XCAP URIs (relative to the XCAP root) of `documents` of user `xui`, with the XUI
 * percent-encoded as a path segment (RFC 4825 §6: `/` and `?` encoded; `:` and `@` stay).
 *
 * @example
 * ```ts
 * watchedDocumentUris('alice@example.com', [{ auid: 'resource-lists', filename: 'index' }]);
 * // ['resource-lists/users/sip:alice@example.com/index']
 * ```
 */
export function watchedDocumentUris(
  xui: string,
  documents: readonly { auid: string; filename: string }[] = DEFAULT_WATCHED_DOCUMENTS,
): string[] {
  const seg = encodeXuiSegment(normalizeXui(xui));
  return documents.map((d) => `${d.auid}/users/${seg}/${d.filename}`);
}

/**
 * The `application/resource-lists+xml` body of the xcap-diff SUBSCRIBE: one `<entry>` per
 * watched document URI, relative to the XCAP root (RFC 5875 §4.4).
 *
 * @example
 * ```ts
 * xcapDiffSubscribeBody(watchedDocumentUris('sip:alice@example.com'));
 * ```
 */
export function xcapDiffSubscribeBody(uris: readonly string[]): string {
  const entries = uris.map((u) => `<entry uri="${escapeAttr(u)}"/>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="${NS.resourceLists}"><list>${entries}</list></resource-lists>`;
}

function encodeXuiSegment(xui: string): string {
  // RFC 4825 §6: '/' and '?' must be encoded in the XUI; ':' and '@' are pchars and stay.
  return encodeURIComponent(xui).replace(/%3A/gi, ':').replace(/%40/g, '@');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}
