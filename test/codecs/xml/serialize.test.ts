import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XmlSerializeError } from '../../../src/codecs/xml/errors.js';
import { parseXml } from '../../../src/codecs/xml/parse.js';
import { serializeXml } from '../../../src/codecs/xml/serialize.js';
import type { XmlAttribute, XmlElement, XmlNode } from '../../../src/codecs/xml/tree.js';
import { element, NS, sameElement, text } from '../../../src/codecs/xml/tree.js';

const body = (e: XmlElement) => serializeXml(e, { declaration: false });

describe('serializeXml: output form', () => {
  it('writes the declaration and a single line', () => {
    const s = serializeXml(element('', 'a', {}, [element('', 'b')]));
    expect(s).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<a><b/></a>');
  });
  it('escapes & < > in text and & < " TAB LF CR in attributes; writes non-ASCII raw', () => {
    const e = element('', 'a', { k: 'x&<>"\t\n\r\'é' }, [text('1 & 2 < 3 > 0 \r é 😀')]);
    expect(body(e)).toBe(
      '<a k="x&amp;&lt;&gt;&quot;&#9;&#10;&#13;\'é">1 &amp; 2 &lt; 3 &gt; 0 &#13; é 😀</a>',
    );
    const back = parseXml(body(e));
    expect(sameElement(back, e)).toBe(true);
  });
  it('rejects characters XML 1.0 cannot carry', () => {
    expect(() => body(element('', 'a', { k: '\u0001' }))).toThrow(XmlSerializeError);
    expect(() => body(element('', 'a', {}, [text('\uD800')]))).toThrow(XmlSerializeError);
    expect(() => body(element('', 'a', {}, [{ type: 'comment', text: 'a--b' }]))).toThrow(
      XmlSerializeError,
    );
    expect(() => body(element('', '1a'))).toThrow(XmlSerializeError);
  });
  it('turns a stack overflow on a hand-built 100 000-deep tree into a typed error', () => {
    let e = element('', 'a');
    for (let i = 0; i < 100_000; i++) e = element('', 'a', {}, [e]);
    expect(() => serializeXml(e)).toThrow(XmlSerializeError);
  });
  it('accepts non-ASCII names, including characters outside the BMP', () => {
    expect(body(element('', 'José', { ñ: '1' }))).toBe('<José ñ="1"/>');
    expect(body(element('', 'a𐀀b'))).toBe('<a𐀀b/>');
  });
  it('writes comments', () => {
    expect(body(element('', 'a', {}, [{ type: 'comment', text: ' hi ' }]))).toBe(
      '<a><!-- hi --></a>',
    );
  });
});

describe('serializeXml: namespaces', () => {
  it('declares the default namespace on a root built without prefix', () => {
    const e = element(NS.rlsServices, 'rls-services', {}, [element(NS.rlsServices, 'service')]);
    expect(body(e)).toBe(
      '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service/></rls-services>',
    );
  });
  it('uses well-known prefixes for foreign children without a declaration in scope', () => {
    const e = element(NS.commonPolicy, 'ruleset', {}, [
      element(NS.commonPolicy, 'rule', { id: 'r' }, [element(NS.presRules, 'sub-handling')]),
    ]);
    expect(body(e)).toBe(
      '<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"><rule id="r"><pr:sub-handling xmlns:pr="urn:ietf:params:xml:ns:pres-rules"/></rule></ruleset>',
    );
  });
  it('reuses prefixes declared on an ancestor', () => {
    const e = element(
      NS.resourceLists,
      'resource-lists',
      {},
      [element(NS.addressbook, 'contact')],
      {
        prefix: 'rl',
        namespaces: { rl: NS.resourceLists, addressbook: NS.addressbook },
      },
    );
    expect(body(e)).toBe(
      '<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:addressbook="urn:ag-projects:xml:ns:addressbook"><addressbook:contact/></rl:resource-lists>',
    );
  });
  it('invents ns0 for unknown namespaces and writes xml:lang without declaration', () => {
    const attrs: XmlAttribute[] = [
      { ns: 'urn:unknown', name: 'k', value: 'v' },
      { ns: NS.xml, name: 'lang', value: 'en' },
    ];
    expect(body(element('', 'a', attrs))).toBe(
      '<a xmlns:ns0="urn:unknown" ns0:k="v" xml:lang="en"/>',
    );
  });
  it('undeclares the default namespace for a no-namespace child', () => {
    const e = element('urn:x', 'a', {}, [element('', 'b')]);
    const s = body(e);
    expect(s).toBe('<a xmlns="urn:x"><b xmlns=""/></a>');
    expect(sameElement(parseXml(s), e)).toBe(true);
  });
  it('does not trust a prefix hint that is bound to another namespace', () => {
    const e = element('urn:a', 'r', {}, [element('urn:b', 'c', {}, [], { prefix: 'p' })], {
      prefix: 'p',
      namespaces: { p: 'urn:a' },
    });
    const s = body(e);
    expect(sameElement(parseXml(s), e)).toBe(true);
  });
  it('keeps a redeclaration hint on a nested element', () => {
    const doc = '<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:2"/></p:a>';
    expect(body(parseXml(doc))).toBe(doc);
  });
});

// Random trees: namespaces from a small pool (including the well-known ones and none), random
// prefix hints (sometimes wrong on purpose), attributes in and out of namespaces, text with
// markup characters, whitespace and non-ASCII.
const nsPool = [
  '',
  'urn:a',
  'urn:b',
  NS.resourceLists,
  NS.addressbook,
  'http://x.example/ns?q=1&r',
];
const prefixPool = [undefined, '', 'a', 'b', 'rl', 'p1'];
const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,8}$/);
const textArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      'a',
      ' ',
      '&',
      '<',
      '>',
      '"',
      "'",
      '\n',
      '\r',
      '\t',
      'é',
      '😀',
      ']]>',
      ';',
      '#',
    ),
  }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);
const attrArb: fc.Arbitrary<XmlAttribute> = fc
  .record({
    ns: fc.constantFrom('', 'urn:a', 'urn:c', NS.xml, NS.sipsimpleAddressbook),
    name: nameArb,
    value: textArb,
    prefix: fc.constantFrom(undefined, 'a', 'q', 'sipsimple'),
  })
  .map(({ prefix, ...a }) => (prefix === undefined ? a : { ...a, prefix }));

const textNodeArb: fc.Arbitrary<XmlNode> = textArb.filter((t) => t !== '').map((t) => text(t));

function elementArb(depth: number): fc.Arbitrary<XmlElement> {
  const child: fc.Arbitrary<XmlNode> =
    depth > 0 ? fc.oneof(elementArb(depth - 1), textNodeArb) : textNodeArb;
  return fc
    .record({
      ns: fc.constantFrom(...nsPool),
      name: nameArb,
      prefix: fc.constantFrom(...prefixPool),
      attributes: fc.uniqueArray(attrArb, {
        maxLength: 3,
        selector: (a) => `${a.ns}|${a.name}`,
      }),
      declare: fc.option(
        fc.dictionary(fc.constantFrom('', 'a', 'b', 'rl'), fc.constantFrom(...nsPool.slice(1)), {
          maxKeys: 2,
        }),
      ),
      children: fc.array(child, { maxLength: depth > 0 ? 4 : 2 }),
    })
    .map(({ ns, name, prefix, attributes, declare, children }) =>
      element(ns, name, attributes, children, {
        ...(prefix !== undefined ? { prefix } : {}),
        ...(declare !== null ? { namespaces: declare } : {}),
      }),
    );
}
const treeArb = elementArb(3);

/** Adjacent text nodes merge on parse; merge them in the expectation too. */
function normalize(e: XmlElement): XmlElement {
  const kids: XmlNode[] = [];
  for (const c of e.children) {
    const last = kids[kids.length - 1];
    if (c.type === 'text' && last?.type === 'text')
      kids[kids.length - 1] = text(last.text + c.text);
    else kids.push(c.type === 'element' ? normalize(c) : c);
  }
  return { ...e, children: kids };
}

describe('serializeXml: property', () => {
  it('serialize -> parse gives an equal tree for random trees', () => {
    fc.assert(
      fc.property(treeArb, (tree) => {
        const s = serializeXml(tree);
        const back = parseXml(s);
        expect(sameElement(back, normalize(tree))).toBe(true);
        // Serializing what we parsed is stable.
        expect(serializeXml(back)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});
