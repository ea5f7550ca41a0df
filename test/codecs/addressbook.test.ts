import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADDRESSBOOK_PREFIXES,
  decodeAddressbookList,
  decodeAttributes,
  decodeContact,
  decodeGroup,
  decodePolicy,
  encodeAttributes,
  encodeContact,
  encodeGroup,
  encodePolicy,
} from '../../src/codecs/addressbook.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { attr, children, NS, type XmlElement } from '../../src/codecs/xml/tree.js';
import type { Attributes, ContactData } from '../../src/model/index.js';
import { fixtureDocs } from '../journal/fixture-helpers.js';

/** Strings XML 1.0 can carry as text (no controls but TAB/LF, no lone surrogates, no CR). */
function xmlSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0xd800 && c <= 0xdfff) || c >= 0xfffe)
      return false;
  }
  return true;
}

const AB = 'urn:ag-projects:xml:ns:addressbook';
const SX = 'urn:ag-projects:sipsimple:xml:ns:addressbook';
const wrap = (inner: string) =>
  parseXml(
    `<rl:list xmlns:rl="${NS.resourceLists}" xmlns:addressbook="${AB}" xmlns:sipsimple="${SX}" xmlns:x="urn:x" name="sipsimple_addressbook">${inner}</rl:list>`,
  );
const first = (list: XmlElement) => children(list)[0]!;

function book(): XmlElement {
  const rl = fixtureDocs()['resource-lists']!;
  return children(rl).find((l) => attr(l, 'name') === 'sipsimple_addressbook')!;
}

describe('addressbook codec', () => {
  it('re-encoding every reference item onto itself returns the same element (no churn)', () => {
    expect(children(book())).toHaveLength(14);
    for (const item of children(book())) {
      const d =
        item.name === 'contact'
          ? encodeContact(decodeContact(item)!, ADDRESSBOOK_PREFIXES, item)
          : item.name === 'group'
            ? encodeGroup(decodeGroup(item)!, ADDRESSBOOK_PREFIXES, item)
            : encodePolicy(decodePolicy(item)!, ADDRESSBOOK_PREFIXES, item);
      expect(d).toBe(item);
    }
  });

  it('reads children by name in any order and percent-encoded URIs (quirks 1, 12)', () => {
    const list = wrap(
      `<addressbook:contact id="c1"><sipsimple:attributes/><addressbook:presence><addressbook:subscribe>true</addressbook:subscribe><addressbook:policy>block</addressbook:policy></addressbook:presence><addressbook:uris default="u1"><addressbook:uri id="u1" uri="sip%3Aa%2Bb%40x.org"/></addressbook:uris><addressbook:name>Renamed</addressbook:name><addressbook:dialog><addressbook:policy>allow</addressbook:policy><addressbook:subscribe>false</addressbook:subscribe></addressbook:dialog></addressbook:contact>`,
    );
    expect(decodeContact(first(list))).toEqual({
      id: 'c1',
      name: 'Renamed',
      uris: [{ id: 'u1', uri: 'sip:a+b@x.org', type: null, attributes: {} }],
      defaultUri: 'u1',
      presence: { policy: 'block', subscribe: true },
      dialog: { policy: 'allow', subscribe: false },
      attributes: {},
    });
  });

  it('any nil attribute means null; an empty element is the empty string (quirks 6, 14)', () => {
    const list = wrap(
      `<addressbook:contact id="c1"><sipsimple:attributes><sipsimple:attribute name="a" nil="true"/><sipsimple:attribute name="b" nil="false">x</sipsimple:attribute><sipsimple:attribute name="c"/></sipsimple:attributes></addressbook:contact>`,
    );
    expect(decodeAttributes(first(list))).toEqual({ a: null, b: null, c: '' });
  });

  it('keeps an attribute named __proto__ (an own key, not lost to the prototype setter)', () => {
    const list = wrap(
      `<addressbook:contact id="c1"><sipsimple:attributes><sipsimple:attribute name="__proto__">v</sipsimple:attribute></sipsimple:attributes></addressbook:contact>`,
    );
    const bag = decodeAttributes(first(list));
    expect(Object.keys(bag)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(bag, '__proto__')?.value).toBe('v');
  });

  it('a contact missing presence/dialog reads with the default handling; bad ids are skipped', () => {
    const list = wrap(
      `<addressbook:contact id="c1"><addressbook:name>A</addressbook:name></addressbook:contact><addressbook:contact id="9bad"><addressbook:name>B</addressbook:name></addressbook:contact><addressbook:policy-element id="p1"><addressbook:name>no uri</addressbook:name></addressbook:policy-element>`,
    );
    const d = decodeAddressbookList(list);
    expect(d.contacts.map((c) => [c.id, c.presence, c.dialog])).toEqual([
      ['c1', { policy: 'default', subscribe: false }, { policy: 'default', subscribe: false }],
    ]);
    expect(d.policies).toEqual([]);
  });

  it('patching keeps foreign children and attributes of items, URIs and bags', () => {
    const list = wrap(
      `<addressbook:contact id="c1" x:tag="t"><addressbook:name>A</addressbook:name><x:extra>1</x:extra><addressbook:uris><addressbook:uri id="u1" uri="sip:a@x.org" x:q="1"><x:u/><sipsimple:attributes><x:b/></sipsimple:attributes></addressbook:uri></addressbook:uris></addressbook:contact>`,
    );
    const el = first(list);
    const d = decodeContact(el)!;
    const next = encodeContact(
      { ...d, name: 'B', uris: [{ ...d.uris[0]!, attributes: { k: 'v' } }] },
      ADDRESSBOOK_PREFIXES,
      el,
    );
    const xml = serializeXml(next, { declaration: false });
    expect(xml).toContain('x:tag="t"');
    expect(xml).toContain('<x:extra>1</x:extra>');
    expect(xml).toContain('x:q="1"');
    expect(xml).toContain('<x:u/>');
    expect(xml).toMatch(
      /<sipsimple:attributes[^>]*><x:b\/><sipsimple:attribute name="k">v<\/sipsimple:attribute><\/sipsimple:attributes>/,
    );
    expect(decodeContact(next)!.name).toBe('B');
  });

  it('writes booleans as true/false and replaces a `1` (quirk 13)', () => {
    const list = wrap(
      `<addressbook:policy-element id="p1" uri="sip:a@x.org"><addressbook:name>n</addressbook:name><addressbook:presence><addressbook:policy>allow</addressbook:policy><addressbook:subscribe>1</addressbook:subscribe></addressbook:presence></addressbook:policy-element>`,
    );
    const el = first(list);
    const out = serializeXml(encodePolicy(decodePolicy(el)!, ADDRESSBOOK_PREFIXES, el), {
      declaration: false,
    });
    expect(out).toContain('<addressbook:subscribe>true</addressbook:subscribe>');
    expect(out).not.toContain('>1<');
  });

  const attrs: fc.Arbitrary<Attributes> = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 6 }).filter(xmlSafe),
    fc.option(fc.string({ maxLength: 8 }).filter(xmlSafe), { nil: null }),
  );

  it('attribute bags round-trip through XML text (property)', () => {
    fc.assert(
      fc.property(attrs, attrs, (a, b) => {
        const bag = encodeAttributes(a, ADDRESSBOOK_PREFIXES);
        const owner = parseXml(
          serializeXml({
            type: 'element',
            ns: AB,
            name: 'contact',
            prefix: 'addressbook',
            attributes: [],
            children: [bag],
          }),
        );
        expect(decodeAttributes(owner)).toEqual(a);
        // Patching to b and back to a gives a's meaning again.
        const ab = encodeAttributes(b, ADDRESSBOOK_PREFIXES, bag);
        const back = encodeAttributes(a, ADDRESSBOOK_PREFIXES, ab);
        const holder = (x: XmlElement) => ({ ...owner, children: [x] });
        expect(decodeAttributes(holder(ab))).toEqual(b);
        expect(decodeAttributes(holder(back))).toEqual(a);
        expect(encodeAttributes(a, ADDRESSBOOK_PREFIXES, back)).toBe(back);
      }),
      { numRuns: 200 },
    );
  });

  it('contacts round-trip: decode(encode(c)) = c (property)', () => {
    const contact: fc.Arbitrary<ContactData> = fc
      .record({
        id: fc.constantFrom('c1', '_x', 'id0a'),
        name: fc.string({ maxLength: 10 }).filter(xmlSafe),
        uris: fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('u1', 'u2', 'u3'),
            uri: fc.constantFrom('sip:a@x.org', 'tel:+1555', 'xmpp:j@x.org', 'sip:jos%C3%A9@x.org'),
            type: fc.option(fc.constantFrom('SIP', 'Work'), { nil: null }),
            attributes: attrs,
          }),
          { selector: (u) => u.id, maxLength: 3 },
        ),
        def: fc.nat(3),
        presence: fc.record({
          policy: fc.constantFrom('allow', 'block', 'default'),
          subscribe: fc.boolean(),
        }),
        dialog: fc.record({
          policy: fc.constantFrom('allow', 'block', 'default'),
          subscribe: fc.boolean(),
        }),
        attributes: attrs,
      })
      .map(({ def, ...c }) => ({ ...c, defaultUri: c.uris[def]?.id ?? null }) as ContactData);
    fc.assert(
      fc.property(contact, (c) => {
        const xml = serializeXml(encodeContact(c, ADDRESSBOOK_PREFIXES));
        const back = decodeContact(parseXml(xml))!;
        // Stored URIs are read percent-decoded (quirk 14), so a URI holding an escape such as
        // %C3%A9 is stored with its "%" as %25 and reads back as written, not as é.
        expect(back).toEqual(c);
      }),
      { numRuns: 200 },
    );
  });
});
