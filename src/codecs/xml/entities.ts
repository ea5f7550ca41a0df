/**
 * One-pass decoding of entity and character references (XML 1.0 §4.1, §4.6). fast-xml-parser
 * runs with `processEntities: false`, so `&amp;#65;` arrives as is and decodes to the text
 * `&#65;` (never to `A`, which a second pass would produce).
 */
import { excerpt, XmlForbiddenError, XmlParseError } from './errors.js';

// Any number of digits (XML 1.0 §4.1 allows leading zeros); out-of-range values fail isXmlChar.
const REF = /&(?:#x([0-9A-Fa-f]+);|#([0-9]+);|([A-Za-z_:][A-Za-z0-9._:-]*);)?/g;
const PREDEFINED: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  apos: "'",
  quot: '"',
};

/** True for code points XML 1.0 §2.2 allows as characters. */
export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * Decodes the five predefined entities and numeric character references in `raw`.
 * A bare `&`, a malformed or out-of-range reference is an {@link XmlParseError}; any other
 * named entity is an {@link XmlForbiddenError} (no DTD can declare one).
 *
 * @example
 * ```ts
 * decodeReferences('a &amp;#65; &#x42;'); // 'a &#65; B'
 * ```
 */
export function decodeReferences(raw: string): string {
  if (raw.indexOf('&') < 0) return raw;
  return raw.replace(REF, (m, hex?: string, dec?: string, name?: string) => {
    if (name !== undefined) {
      const v = PREDEFINED[name];
      if (v === undefined)
        throw new XmlForbiddenError('entity', `undeclared entity reference &${name};`);
      return v;
    }
    if (hex === undefined && dec === undefined)
      throw new XmlParseError(`"&" not starting a valid reference in ${excerpt(raw)}`);
    const cp = hex !== undefined ? Number.parseInt(hex, 16) : Number.parseInt(dec!, 10);
    if (!isXmlChar(cp)) throw new XmlParseError(`character reference ${m} is not an XML character`);
    return String.fromCodePoint(cp);
  });
}
