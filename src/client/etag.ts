/**
 * Entity tags on the wire (RFC 9110 §8.8.3) and the `*` form of conditional requests.
 */
import { XcapValidationError } from '../errors.js';

/**
 * How `*` is sent in `If-Match` / `If-None-Match`. RFC 9110 §13.1.1 says `*` bare, but
 * Kamailio's xcap_server only understands it quoted (test-server/README.md), so `'quoted'` is the default.
 */
export type StarQuoting = 'quoted' | 'bare';

/**
 * Formats an ETag for a conditional request header. A bare tag is quoted (`abc` -> `"abc"`),
 * a quoted one or a weak one (`W/"abc"`) is sent as given, `*` per `star`.
 *
 * @throws XcapValidationError when the tag contains a `"` inside or control characters.
 * @example formatEtag('abc') // '"abc"'
 * @example formatEtag('*', 'bare') // '*'
 */
export function formatEtag(etag: string, star: StarQuoting = 'quoted'): string {
  if (etag === '*' || etag === '"*"') return star === 'quoted' ? '"*"' : '*';
  let opaque: string;
  let asGiven = true;
  if (/^W\/".*"$/.test(etag)) opaque = etag.slice(3, -1);
  else if (/^".*"$/.test(etag) && etag.length >= 2) opaque = etag.slice(1, -1);
  else {
    opaque = etag;
    asGiven = false;
  }
  // RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text; a quote or a control char inside is
  // not a valid entity tag and could be used to inject another header value.
  if ([...opaque].some((c) => c === '"' || c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f))
    throw new XcapValidationError(`invalid entity tag ${JSON.stringify(etag)}`, 'etag');
  return asGiven ? etag : `"${opaque}"`;
}

/** An ETag read from a response. */
export interface ParsedEtag {
  /** Strong tags without quotes (`"abc"` -> `abc`); weak tags keep their marker (`W/"abc"`). */
  readonly etag: string;
  readonly weak: boolean;
}

/**
 * Reads an `ETag` response header. Quoted and unquoted strong tags both give the bare value
 * (servers differ); weak tags are kept as `W/"..."` so that sending them back
 * reproduces them. A missing or empty header gives null.
 *
 * @example parseEtag('"abc"') // { etag: 'abc', weak: false }
 * @example parseEtag('W/"abc"') // { etag: 'W/"abc"', weak: true }
 */
export function parseEtag(header: string | string[] | undefined): ParsedEtag | null {
  const raw = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!raw) return null;
  if (/^W\//.test(raw)) {
    const inner = raw.slice(2);
    const opaque =
      inner.startsWith('"') && inner.endsWith('"') && inner.length >= 2
        ? inner.slice(1, -1)
        : inner;
    return { etag: `W/"${opaque}"`, weak: true };
  }
  const opaque =
    raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  if (opaque === '') return null;
  return { etag: opaque, weak: false };
}
