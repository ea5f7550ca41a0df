import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XmlForbiddenError, XmlLimitError, XmlParseError } from '../../../src/codecs/xml/errors.js';
import { MAX_SUPPORTED_DEPTH } from '../../../src/codecs/xml/limits.js';
import { parseXml } from '../../../src/codecs/xml/parse.js';
import { serializeXml } from '../../../src/codecs/xml/serialize.js';
import type { XmlElement } from '../../../src/codecs/xml/tree.js';
import { attr, children, NS, sameElement, textOf } from '../../../src/codecs/xml/tree.js';
import { REFERENCE_LAYOUT_DIR } from '../../support/fixtures.js';

const FIXTURES = REFERENCE_LAYOUT_DIR;

function prefixes(e: XmlElement, out: string[] = []): string[] {
  out.push(`${e.prefix ?? '?'}:${e.name}`);
  for (const a of e.attributes) out.push(`@${a.prefix ?? ''}:${a.name}`);
  for (const c of children(e)) prefixes(c, out);
  return out;
}

describe('parseXml: reference fixtures', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.xml'));
  it('finds the six fixture documents', () => {
    expect(files.length).toBe(6);
  });
  for (const f of files) {
    it(`round-trips ${f} with prefixes and declarations kept`, () => {
      const bytes = readFileSync(join(FIXTURES, f));
      const a = parseXml(new Uint8Array(bytes));
      const out = serializeXml(a);
      const b = parseXml(out);
      expect(sameElement(a, b)).toBe(true);
      expect(prefixes(b)).toEqual(prefixes(a));
      expect(b.namespaces).toEqual(a.namespaces);
      // sipsimple writes one line with no character references; so do we, so the body matches.
      const original = bytes.toString('utf8').split('\n')[1]!;
      expect(out.split('\n')[1]).toBe(original);
    });
  }
  it('resolves the resource-lists prefixes to namespaces', () => {
    const root = parseXml(readFileSync(join(FIXTURES, 'resource-lists.xml'), 'utf8'));
    expect(root.ns).toBe(NS.resourceLists);
    expect(root.prefix).toBe('rl');
    const ab = children(root, NS.resourceLists, 'list').find(
      (l) => attr(l, 'name') === 'sipsimple_addressbook',
    );
    expect(ab).toBeDefined();
    expect(children(ab!, NS.addressbook, 'contact').length).toBe(8);
  });
});

describe('parseXml: namespaces', () => {
  it('applies the default namespace to elements but not to unprefixed attributes', () => {
    const r = parseXml('<a xmlns="urn:x" k="v"><b/></a>');
    expect(r.ns).toBe('urn:x');
    expect(r.prefix).toBe('');
    expect(r.attributes).toEqual([{ ns: '', name: 'k', value: 'v' }]);
    expect(children(r)[0]!.ns).toBe('urn:x');
    expect(r.namespaces).toEqual({ '': 'urn:x' });
  });
  it('resolves prefixed attributes and nested redeclarations', () => {
    const r = parseXml('<p:a xmlns:p="urn:1" p:k="v"><p:b xmlns:p="urn:2" p:k="w"/><p:c/></p:a>');
    expect(r.attributes[0]).toEqual({ ns: 'urn:1', name: 'k', value: 'v', prefix: 'p' });
    const [b, c] = children(r);
    expect(b!.ns).toBe('urn:2');
    expect(b!.attributes[0]!.ns).toBe('urn:2');
    expect(c!.ns).toBe('urn:1');
  });
  it('undeclares the default namespace with xmlns=""', () => {
    const r = parseXml('<a xmlns="urn:x"><b xmlns=""><c/></b></a>');
    const b = children(r)[0]!;
    expect(b.ns).toBe('');
    expect(children(b)[0]!.ns).toBe('');
  });
  it('binds the xml prefix implicitly', () => {
    const r = parseXml('<a xml:lang="de">x</a>');
    expect(attr(r, 'lang', NS.xml)).toBe('de');
  });
  it.each([
    ['<p:a/>', 'unbound element prefix'],
    ['<a p:k="v"/>', 'unbound attribute prefix'],
    ['<a xmlns:p="urn:1" xmlns:q="urn:1" p:k="1" q:k="2"/>', 'same expanded attribute twice'],
    ['<a xmlns:p=""/>', 'undeclaring a prefix'],
    ['<a xmlns:xml="urn:other"/>', 'rebinding xml'],
    ['<xmlns:a/>', 'element with the xmlns prefix'],
    ['<a:b:c xmlns:a="urn:1"/>', 'two colons'],
  ])('rejects %s (%s)', (doc) => {
    expect(() => parseXml(doc)).toThrow(XmlParseError);
  });
});

describe('parseXml: text and references', () => {
  it('decodes predefined entities and numeric references in text and attributes', () => {
    const r = parseXml('<a k="&lt;&#x41;&#66;&quot;&apos;">&amp;&gt;&#233;&#x1F600;</a>');
    expect(attr(r, 'k')).toBe('<AB"\'');
    expect(textOf(r)).toBe('&>é😀');
  });
  it('accepts character references with any number of leading zeros (XML 1.0 §4.1)', () => {
    expect(textOf(parseXml('<a>&#x0000000041;&#00000000066;</a>'))).toBe('AB');
    expect(() => parseXml('<a>&#x00000000110000;</a>')).toThrow(XmlParseError);
    expect(() => parseXml(`<a>&#${'9'.repeat(400)};</a>`)).toThrow(XmlParseError);
  });
  it('decodes in one pass: &amp;#65; stays the text &#65;', () => {
    expect(textOf(parseXml('<a>&amp;#65;</a>'))).toBe('&#65;');
    expect(attr(parseXml('<a k="&amp;#65;"/>'), 'k')).toBe('&#65;');
  });
  it('keeps CDATA literal and merges it with the neighbouring text', () => {
    const r = parseXml('<a>x<![CDATA[<&amp;>]]>y</a>');
    expect(r.children).toEqual([{ type: 'text', text: 'x<&amp;>y' }]);
  });
  it('keeps whitespace-only text and comments inside the root', () => {
    const r = parseXml('<a>\n  <b/>\n  <!-- note -->\n</a>');
    expect(r.children.map((c) => c.type)).toEqual(['text', 'element', 'text', 'comment', 'text']);
  });
  it('normalizes CRLF in text and literal whitespace in attribute values', () => {
    const r = parseXml('<a k="x\ty\nz" j="&#10;">l1\r\nl2\rl3</a>');
    expect(attr(r, 'k')).toBe('x y z');
    expect(attr(r, 'j')).toBe('\n');
    expect(textOf(r)).toBe('l1\nl2\nl3');
  });
  it('accepts names that are JavaScript prototype keys', () => {
    const r = parseXml('<constructor __proto__="1"><toString/><__proto__/></constructor>');
    expect(r.name).toBe('constructor');
    expect(attr(r, '__proto__')).toBe('1');
    expect(children(r).map((c) => c.name)).toEqual(['toString', '__proto__']);
  });
  it.each([
    ['<a>&#xZZ;</a>'],
    ['<a>&#0;</a>'],
    ['<a>&#xD800;</a>'],
    ['<a>&#1114112;</a>'],
    ['<a>a & b</a>'],
    ['<a k="a&b"/>'],
  ])('rejects the invalid reference in %s', (doc) => {
    expect(() => parseXml(doc)).toThrow(XmlParseError);
  });
  it('rejects undeclared named entities as forbidden', () => {
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow(XmlForbiddenError);
  });
});

describe('parseXml: encoding', () => {
  it('decodes UTF-8 bytes and strips a BOM', () => {
    const bytes = new TextEncoder().encode('\uFEFF<a>José Müller</a>');
    expect(textOf(parseXml(bytes))).toBe('José Müller');
  });
  it('rejects bytes that are not UTF-8', () => {
    const bytes = new Uint8Array([0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f, 0x61, 0x3e]);
    expect(() => parseXml(bytes)).toThrow(XmlParseError);
    expect(() => parseXml(bytes)).toThrow(/UTF-8/);
  });
  it('rejects a string with a lone surrogate', () => {
    expect(() => parseXml('<a>\uD800</a>')).toThrow(/surrogate/);
    expect(textOf(parseXml('<a>\uD83D\uDE00</a>'))).toBe('😀');
  });
  it('rejects UTF-16 input', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x3c, 0x00, 0x61, 0x00, 0x2f, 0x00, 0x3e, 0x00]);
    expect(() => parseXml(bytes)).toThrow(XmlParseError);
  });
  it('accepts a UTF-8 declaration in any case, single or double quotes', () => {
    expect(parseXml("<?xml version='1.0' encoding='utf-8'?>\n<a/>").name).toBe('a');
    expect(parseXml('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a/>').name).toBe('a');
  });
  it.each(['ISO-8859-1', 'UTF-16', 'us-ascii'])('rejects a declared encoding %s', (enc) => {
    expect(() => parseXml(`<?xml version="1.0" encoding="${enc}"?><a/>`)).toThrow(/encoding/);
  });
  it('rejects a misplaced or broken declaration', () => {
    expect(() => parseXml('<a/><?xml version="1.0"?>')).toThrow(XmlParseError);
    expect(() => parseXml('<?xml encoding="UTF-8"?><a/>')).toThrow(XmlParseError);
  });
});

describe('parseXml: malformed documents', () => {
  it.each([
    ['<a><b></a>'],
    ['<a>'],
    ['<a/><b/>'],
    ['text<a/>'],
    ['<a></a>junk'],
    ['<a x="1" x="2"/>'],
    ['<a x=1/>'],
    ['<a b/>'],
    ['<a x="<"/>'],
    ['<1a/>'],
    [''],
    ['   '],
    ['<a><!-- x -- y --></a>'],
    ['<a>\u0001</a>'],
    ['<![CDATA[x]]><a/>'],
    ['<a x="1></a>'],
    // fast-xml-parser's validator accepts text after a self-closing root and drops it.
    ['<a/>junk'],
    ['<a/> x '],
    ['<a/>&amp;'],
    ['<a><b/></a>x<!-- c -->'],
  ])('rejects %j', (doc) => {
    expect(() => parseXml(doc)).toThrow(XmlParseError);
  });
  it('gives the line and column of the problem', () => {
    try {
      parseXml('<a>\n<b>\n</a>');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(XmlParseError);
      expect((e as XmlParseError).line).toBe(3);
      expect((e as XmlParseError).offset).toBe(8);
      expect((e as XmlParseError).code).toBe('RXCAP_XML_MALFORMED');
    }
  });
  it('never echoes a huge input in the message', () => {
    const huge = `<a>${'x'.repeat(100_000)}&bogus</a>`;
    try {
      parseXml(huge);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(300);
    }
  });
});

describe('parseXml: limits and forbidden constructs', () => {
  function limitOf(f: () => unknown): string {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(XmlLimitError);
      expect((e as XmlLimitError).code).toBe('RXCAP_XML_LIMIT');
      return (e as XmlLimitError).limit;
    }
    throw new Error('no error');
  }
  it('turns a 10 000-deep document into a typed depth error, not a RangeError', () => {
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    expect(limitOf(() => parseXml(deep))).toBe('maxDepth');
  });
  it('clamps maxDepth to MAX_SUPPORTED_DEPTH so that deep trees never reach the stack limit', () => {
    const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(limitOf(() => parseXml(deep(MAX_SUPPORTED_DEPTH + 1), { maxDepth: 1_000_000 }))).toBe(
      'maxDepth',
    );
    const ok = parseXml(deep(MAX_SUPPORTED_DEPTH), { maxDepth: 1_000_000 });
    expect(sameElement(parseXml(serializeXml(ok), { maxDepth: MAX_SUPPORTED_DEPTH }), ok)).toBe(
      true,
    );
  });
  it('accepts exactly maxDepth and refuses one more (self-closing counts)', () => {
    expect(parseXml('<a><b><c/></b></a>', { maxDepth: 3 }).name).toBe('a');
    expect(limitOf(() => parseXml('<a><b><c><d/></c></b></a>', { maxDepth: 3 }))).toBe('maxDepth');
  });
  it('limits the input size in bytes, for strings and bytes', () => {
    expect(limitOf(() => parseXml(`<a>${'x'.repeat(100)}</a>`, { maxBytes: 50 }))).toBe('maxBytes');
    // 20 characters but 40 UTF-8 bytes.
    expect(limitOf(() => parseXml(`<a>${'é'.repeat(20)}</a>`, { maxBytes: 30 }))).toBe('maxBytes');
    const bytes = new TextEncoder().encode(`<a>${'x'.repeat(100)}</a>`);
    expect(limitOf(() => parseXml(bytes, { maxBytes: 50 }))).toBe('maxBytes');
  });
  it('limits the number of elements', () => {
    const doc = `<a>${'<b/>'.repeat(20)}</a>`;
    expect(parseXml(doc, { maxElements: 21 }).children.length).toBe(20);
    expect(limitOf(() => parseXml(doc, { maxElements: 20 }))).toBe('maxElements');
  });
  it('limits attributes per element', () => {
    const attrs = Array.from({ length: 10 }, (_, i) => ` a${i}="v"`).join('');
    expect(limitOf(() => parseXml(`<a${attrs}/>`, { maxAttributesPerElement: 9 }))).toBe(
      'maxAttributesPerElement',
    );
    expect(parseXml(`<a${attrs}/>`, { maxAttributesPerElement: 10 }).attributes.length).toBe(10);
  });
  it('limits text and attribute value length', () => {
    expect(limitOf(() => parseXml(`<a>${'x'.repeat(101)}</a>`, { maxTextLength: 100 }))).toBe(
      'maxTextLength',
    );
    expect(
      limitOf(() => parseXml(`<a><![CDATA[${'x'.repeat(101)}]]></a>`, { maxTextLength: 100 })),
    ).toBe('maxTextLength');
    expect(
      limitOf(() => parseXml(`<a k="${'x'.repeat(101)}"/>`, { maxAttributeValueLength: 100 })),
    ).toBe('maxAttributeValueLength');
  });
  it('refuses any DOCTYPE, so billion laughs cannot expand', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
    expect(() => parseXml(laughs)).toThrow(XmlForbiddenError);
    try {
      parseXml(laughs);
    } catch (e) {
      expect((e as XmlForbiddenError).code).toBe('RXCAP_XML_FORBIDDEN');
      expect((e as XmlForbiddenError).construct).toBe('doctype');
    }
  });
  it('refuses external entities (XXE) and a bare DOCTYPE', () => {
    const xxe = '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>';
    expect(() => parseXml(xxe)).toThrow(XmlForbiddenError);
    expect(() => parseXml('<!doctype a><a/>')).toThrow(XmlForbiddenError);
    expect(() => parseXml('<a>&x;</a>')).toThrow(XmlForbiddenError);
  });
});

describe('parseXml: compact tree (shared immutable leaves)', () => {
  const xml =
    '<r xmlns="urn:x" xmlns:p="urn:p"><a/><b k="v"/><b k="v"/><c>true</c><c>true</c>' +
    '<c>t<![CDATA[rue]]></c><p:d p:k="v">a long text value, longer than twelve</p:d></r>';

  it('shares one frozen empty array for elements without attributes or children', () => {
    const root = parseXml(xml);
    const [a, b1, b2] = children(root);
    expect(a!.attributes).toBe(b1!.children);
    expect(a!.children).toBe(b2!.children);
    expect(Object.isFrozen(a!.attributes)).toBe(true);
    expect(() => (a!.children as unknown as unknown[]).push(1)).toThrow(TypeError);
  });

  it('shares equal short text nodes and attributes, and merges text with CDATA correctly', () => {
    const root = parseXml(xml);
    const kids = children(root);
    const [, b1, b2, c1, c2, c3, d] = kids;
    expect(b1!.attributes[0]).toBe(b2!.attributes[0]);
    expect(c1!.children[0]).toBe(c2!.children[0]);
    expect(textOf(c3!)).toBe('true');
    expect(d!.attributes[0]).toEqual({ ns: 'urn:p', name: 'k', value: 'v', prefix: 'p' });
    expect(d!.attributes[0]).not.toBe(b1!.attributes[0]);
    expect(textOf(d!)).toBe('a long text value, longer than twelve');
  });

  it('does not keep a namespaces record on elements that declare none', () => {
    const root = parseXml(xml);
    expect(root.namespaces).toEqual({ '': 'urn:x', p: 'urn:p' });
    for (const c of children(root)) expect('namespaces' in c).toBe(false);
  });

  it('round-trips and compares equal to a freshly built tree after sharing', () => {
    const root = parseXml(xml);
    expect(serializeXml(parseXml(serializeXml(root)))).toBe(serializeXml(root));
    expect(sameElement(parseXml(serializeXml(root)), root)).toBe(true);
  });
});
