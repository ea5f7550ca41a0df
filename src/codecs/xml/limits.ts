/**
 * Resource limits for parsing untrusted XML (documents come from a server other clients write
 * to). Every limit is checked before or while tokenising, never after building a huge tree.
 */

/** Limits applied by `parseXml`. */
export interface XmlLimits {
  /** Maximum input size in UTF-8 bytes. Default 16 MiB. */
  readonly maxBytes: number;
  /**
   * Maximum element nesting depth (the root is depth 1). Default 256; values above
   * {@link MAX_SUPPORTED_DEPTH} are clamped to it.
   */
  readonly maxDepth: number;
  /** Maximum number of elements. Default 500 000. */
  readonly maxElements: number;
  /** Maximum attributes on one element, namespace declarations included. Default 256. */
  readonly maxAttributesPerElement: number;
  /** Maximum length (UTF-16 units, before reference decoding) of one text run. Default 12 MiB. */
  readonly maxTextLength: number;
  /** Maximum length of one attribute value (before reference decoding). Default 1 MiB. */
  readonly maxAttributeValueLength: number;
}

/**
 * The defaults: generous for real XCAP documents (a 10 000-contact resource-lists document is
 * about 10 MB), small enough that a hostile one cannot exhaust memory.
 *
 * @example
 * ```ts
 * parseXml(doc, { ...DEFAULT_XML_LIMITS, maxBytes: 1024 * 1024 });
 * ```
 */
export const DEFAULT_XML_LIMITS: XmlLimits = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 256,
  maxElements: 500_000,
  maxAttributesPerElement: 256,
  maxTextLength: 12 * 1024 * 1024,
  maxAttributeValueLength: 1024 * 1024,
});

/**
 * The deepest tree rxcap accepts whatever the caller asks: the serializer, `sameElement` and the
 * codecs recurse per level, and 1000 levels stay far from any JavaScript stack limit.
 */
export const MAX_SUPPORTED_DEPTH = 1000;

/**
 * Merges partial limits over the defaults (clamping `maxDepth` to {@link MAX_SUPPORTED_DEPTH}).
 *
 * @example
 * ```ts
 * resolveXmlLimits({ maxDepth: 32 }).maxElements; // 500000
 * ```
 */
export function resolveXmlLimits(limits?: Partial<XmlLimits>): XmlLimits {
  if (limits === undefined) return DEFAULT_XML_LIMITS;
  const out: Record<string, number> = { ...DEFAULT_XML_LIMITS };
  for (const [k, v] of Object.entries(limits)) if (typeof v === 'number') out[k] = v;
  out.maxDepth = Math.min(out.maxDepth!, MAX_SUPPORTED_DEPTH);
  return out as unknown as XmlLimits;
}

/**
 * The UTF-8 length of `s` in bytes, without encoding it.
 *
 * @example utf8Length('é') // 2
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * The limit a document about to be written breaks, if any: what `parseXml` would refuse when
 * reading it back (its size and element count; one pass over the text). A writer checks this
 * before a PUT so that it never stores a document no reader can read.
 *
 * @example writeLimitExceeded(body) // undefined, or { limit: 'maxBytes', max: 16777216, actual: 20700000 }
 */
export function writeLimitExceeded(
  body: string,
  limits: XmlLimits = DEFAULT_XML_LIMITS,
): { limit: 'maxBytes' | 'maxElements'; max: number; actual: number } | undefined {
  if (body.length * 3 > limits.maxBytes) {
    const bytes = utf8Length(body);
    if (bytes > limits.maxBytes) return { limit: 'maxBytes', max: limits.maxBytes, actual: bytes };
  }
  // Every element needs at least four characters (`<a/>`): only a long text can have too many.
  if (body.length / 4 <= limits.maxElements) return undefined;
  let elements = 0;
  for (let i = body.indexOf('<'); i >= 0; i = body.indexOf('<', i + 1)) {
    const c = body.charCodeAt(i + 1);
    if (c !== 47 && c !== 33 && c !== 63) elements++;
  }
  return elements > limits.maxElements
    ? { limit: 'maxElements', max: limits.maxElements, actual: elements }
    : undefined;
}
