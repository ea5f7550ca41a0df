/**
 * fast-check generators shared by the codec property tests: random foreign elements and
 * attributes (which every payload must carry through a round trip) and safe value strings.
 */
import fc from 'fast-check';
import type { LangText } from '../../src/codecs/xml/codec-helpers.js';
import type { XmlAttribute, XmlElement, XmlNode } from '../../src/codecs/xml/tree.js';
import { element, text } from '../../src/codecs/xml/tree.js';

export const FOREIGN_NS = ['urn:x-foreign:a', 'urn:x-foreign:b'];

/** An XML local name. */
export const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,8}$/);

/** Free text: markup characters, whitespace, non-ASCII. */
export const textArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom('a', ' ', '&', '<', '>', '"', "'", '\n', 'é', 'ß', '😀', '—'),
    maxLength: 10,
  }),
);

/** A value codecs trim or percent-decode: no surrounding whitespace and no '%'. */
export const tokenArb = fc
  .string({
    unit: fc.constantFrom(
      'a',
      'b',
      'Z',
      '0',
      ':',
      '@',
      '.',
      '-',
      '+',
      '/',
      '[',
      ']',
      '"',
      '=',
      'é',
      '~',
      ' ',
    ),
    minLength: 1,
    maxLength: 16,
  })
  .map((s) => s.trim())
  .filter((s) => s !== '');

/** A SIP-ish URI. */
export const uriArb = fc
  .tuple(
    fc.constantFrom('sip:', 'sips:', 'tel:', 'xmpp:'),
    fc.stringMatching(/^[a-z0-9.+_-]{1,8}$/),
    fc.constantFrom('', '@example.com', '@exämple.org'),
  )
  .map(([s, u, d]) => s + u + d);

/** An XCAP URI with a node selector, like the reference layout's anchors. */
export const xcapUriArb = fc
  .tuple(fc.stringMatching(/^[a-z_]{1,10}$/), fc.constantFrom('', ' x', 'ü'))
  .map(
    ([n, s]) =>
      `http://127.0.0.1:5080/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name="${n}${s}"]`,
  );

export const langTextArb: fc.Arbitrary<LangText> = fc
  .tuple(textArb, fc.option(fc.constantFrom('en', 'de-CH', 'fr')))
  .map(([value, lang]) => (lang === null ? { value } : { value, lang }));

/** Attributes in a foreign namespace (never clash with a codec's own attributes). */
export const foreignAttrsArb: fc.Arbitrary<XmlAttribute[]> = fc.uniqueArray(
  fc.record({ ns: fc.constantFrom(...FOREIGN_NS), name: nameArb, value: textArb }),
  { maxLength: 2, selector: (a) => `${a.ns}|${a.name}` },
);

function foreignElement(depth: number): fc.Arbitrary<XmlElement> {
  const child: fc.Arbitrary<XmlNode> =
    depth > 0
      ? fc.oneof(foreignElement(depth - 1), textArb.filter((t) => t.trim() !== '').map(text))
      : textArb.filter((t) => t.trim() !== '').map(text);
  return fc
    .record({
      ns: fc.constantFrom(...FOREIGN_NS),
      name: nameArb,
      attrs: fc.uniqueArray(
        fc.record({ ns: fc.constantFrom('', ...FOREIGN_NS), name: nameArb, value: textArb }),
        {
          maxLength: 2,
          selector: (a) => `${a.ns}|${a.name}`,
        },
      ),
      children: fc.array(child, { maxLength: 2 }),
    })
    .map(({ ns, name, attrs, children }) => element(ns, name, attrs, mergeText(children)));
}

function mergeText(nodes: XmlNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const n of nodes) {
    const last = out[out.length - 1];
    if (n.type === 'text' && last?.type === 'text') out[out.length - 1] = text(last.text + n.text);
    else out.push(n);
  }
  return out;
}

/** Random foreign elements (up to two levels deep). */
export const foreignElementsArb: fc.Arbitrary<XmlElement[]> = fc.array(foreignElement(1), {
  maxLength: 2,
});

/** `{ extensions, otherAttributes }`. */
export const foreignArb = fc.record({
  extensions: foreignElementsArb,
  otherAttributes: foreignAttrsArb,
});

/** Drops keys whose value is null (fc.option) so payloads have absent optional fields. */
export function compact<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], null> };
}
