import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XcapValidationError } from '../../src/errors.js';
import {
  Addressbook,
  Contact,
  ContactURI,
  DialogRules,
  decodeBase64,
  EventHandling,
  encodeBase64,
  Group,
  generateId,
  Icon,
  isValidId,
  isValidUri,
  MAX_ICON_BYTES,
  OfflineStatus,
  Policy,
  PresenceRules,
  RawPidf,
} from '../../src/model/index.js';

function invalid(fn: () => unknown, field?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(XcapValidationError);
    expect((e as XcapValidationError).code).toBe('RXCAP_INVALID_ARGUMENT');
    if (field !== undefined) expect((e as XcapValidationError).field).toBe(field);
    return;
  }
  throw new Error('expected an XcapValidationError');
}

describe('ids', () => {
  it.each([
    ['id1720000000013868601871', true],
    ['_x', true],
    ['A.b-c_d', true],
    ['0abc', false],
    ['', false],
    ['a b', false],
    ['a:b', false],
    ['-a', false],
    ['é', false],
  ])('isValidId(%j) = %s (fixture quirk 13)', (id, ok) => {
    expect(isValidId(id)).toBe(ok);
  });

  it('generates ids that are valid and unique', () => {
    const ids = new Set(Array.from({ length: 200 }, () => generateId()));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(isValidId(id)).toBe(true);
      expect(id).toMatch(/^id[0-9a-f]{32}$/);
    }
  });
});

describe('URIs', () => {
  it.each([
    ['sip:bob@example.com', true],
    ['sips:carol@secure.example.net', true],
    ['sip:example.com', true],
    ['sip:bob@[2001:db8::1]:5061;transport=tls', true],
    ['sip:alice+presence@example.com', true],
    ['tel:+15551234567', true],
    ['tel:+1-555-123-4567', true],
    ['tel:7042;phone-context=example.com', true],
    ['xmpp:grace@jabber.example.org', true],
    ['mailto:a@b.c', true],
    ['sip:', false],
    ['sip:bob@', false],
    ['sip:bob@exa mple.com', false],
    ['sip:bob@-bad-.com', false],
    ['tel:', false],
    ['tel:+', false],
    ['tel:xyz', false],
    ['bob@example.com', false],
    ['sip%3Abob%40example.com', false],
    ['1sip:x', false],
    ['sip:bob@example.com\n', false],
    ['xmpp:a<b', false],
    ['', false],
  ])('isValidUri(%j) = %s', (uri, ok) => {
    expect(isValidUri(uri)).toBe(ok);
  });
});

describe('EventHandling', () => {
  it('defaults to default/false and validates', () => {
    expect(new EventHandling().toJSON()).toEqual({ policy: 'default', subscribe: false });
    expect(new EventHandling('block', true).toJSON()).toEqual({ policy: 'block', subscribe: true });
    invalid(() => new EventHandling('wp_prs_unlisted' as never, false), 'policy');
    invalid(() => new EventHandling('allow', 'true' as never), 'subscribe');
  });
});

describe('Contact', () => {
  const sip = new ContactURI({ id: 'u1', uri: 'sip:bob@example.com', type: 'SIP' });
  const tel = new ContactURI({ id: 'u2', uri: 'tel:+15551234567', attributes: { label: null } });

  it('has the seed defaults and round-trips through JSON', () => {
    const c = new Contact({ name: 'Bob', uris: [sip, tel], defaultUri: 'u2' });
    expect(isValidId(c.id)).toBe(true);
    expect(c.presence.toJSON()).toEqual({ policy: 'default', subscribe: false });
    expect(c.dialog.toJSON()).toEqual({ policy: 'default', subscribe: false });
    expect(c.defaultContactUri).toBe(tel);
    const again = Contact.from(JSON.parse(JSON.stringify(c)));
    expect(again.equals(c.toJSON())).toBe(true);
    expect(again.toJSON()).toEqual(c.toJSON());
    expect(Object.isFrozen(c.uris)).toBe(true);
    expect(Object.isFrozen(c.attributes)).toBe(true);
  });

  it('rejects bad input with typed errors', () => {
    invalid(() => new Contact({ id: '1bad', name: 'x' }), 'contact.id');
    invalid(() => new Contact({ name: 5 as never }), 'contact.name');
    invalid(
      () => new Contact({ name: 'x', uris: [sip], defaultUri: 'nope' }),
      'contact.defaultUri',
    );
    invalid(() => new Contact({ name: 'x', uris: [sip, sip] }), 'contact.uris');
    // Contact and URI ids are both xs:ID in sipsimple's addressbook.xsd: unique per document.
    invalid(() => new Contact({ id: 'u1', name: 'x', uris: [sip] }), 'contact.uris');
    invalid(
      () => new Contact({ name: 'x', attributes: { a: 1 as never } }),
      'contact.attributes.a',
    );
    invalid(
      () => new Contact({ name: 'x', presence: { policy: 'maybe' as never, subscribe: false } }),
    );
    invalid(() => new ContactURI({ uri: 'not a uri' }), 'uri.uri');
    // Characters XML cannot carry would make the document unserializable (journal wedged).
    invalid(() => new Contact({ name: 'a\u0001b' }), 'contact.name');
    invalid(() => new Contact({ name: 'x', attributes: { k: '\ud800' } }), 'contact.attributes.k');
    invalid(() => new ContactURI({ uri: 'sip:a@b.c', type: '\uffff' }), 'uri.type');
    expect(new Contact({ name: 'tab\tline\nemoji 😀' }).name).toBe('tab\tline\nemoji 😀');
    // An attribute named __proto__ (from JSON) is kept as an own key, not silently dropped.
    const proto = new Contact({ name: 'x', attributes: JSON.parse('{"__proto__":"v","k":"w"}') });
    expect(Object.keys(proto.attributes)).toEqual(['__proto__', 'k']);
    expect(JSON.parse(JSON.stringify(proto.attributes))).toEqual(
      JSON.parse('{"__proto__":"v","k":"w"}'),
    );
  });

  it('with() keeps the id and validates', () => {
    const c = new Contact({ id: 'c1', name: 'Bob', uris: [sip] });
    const d = c.with({ name: 'Robert' });
    expect(d.id).toBe('c1');
    expect(d.name).toBe('Robert');
    expect(c.name).toBe('Bob');
    invalid(() => c.with({ defaultUri: 'zz' }));
  });
});

describe('Group and Policy', () => {
  it('groups keep member ids in order, once', () => {
    const bob = new Contact({ id: 'bob', name: 'Bob' });
    const g = new Group({ name: 'Work', contacts: [bob, 'eve', bob] });
    expect(g.contactIds).toEqual(['bob', 'eve']);
    expect(g.contacts).toEqual([bob]);
    expect(Group.from(g.toJSON()).equals(g.toJSON())).toBe(true);
    invalid(() => new Group({ name: 'x', contacts: ['9'] }), 'group.contacts[]');
  });

  it('policies validate their URI', () => {
    const p = new Policy({
      name: 'Boss',
      uri: 'sip:boss@corp.example',
      presence: { policy: 'allow', subscribe: false },
    });
    expect(p.presence.policy).toBe('allow');
    expect(p.dialog.policy).toBe('default');
    expect(Policy.from(p.toJSON()).equals(p.toJSON())).toBe(true);
    invalid(() => new Policy({ name: 'x', uri: 'spam' }), 'policy.uri');
  });
});

describe('Icon', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  it('validates MIME type, emptiness and size', () => {
    const icon = new Icon({ data: png, mimeType: 'image/PNG', description: 'me' });
    expect(icon.mimeType).toBe('image/png');
    invalid(() => new Icon({ data: png, mimeType: 'image/webp' }), 'icon.mimeType');
    invalid(() => new Icon({ data: new Uint8Array(0), mimeType: 'image/png' }), 'icon.data');
    invalid(
      () => new Icon({ data: new Uint8Array(MAX_ICON_BYTES + 1), mimeType: 'image/gif' }),
      'icon.data',
    );
    expect(
      new Icon({ data: new Uint8Array(MAX_ICON_BYTES), mimeType: 'image/gif' }).data.length,
    ).toBe(MAX_ICON_BYTES);
  });
  it('copies the bytes and round-trips through JSON', () => {
    const bytes = png.slice();
    const icon = new Icon({ data: bytes, mimeType: 'image/png' });
    bytes[0] = 0;
    expect(icon.data[0]).toBe(0x89);
    const again = Icon.fromJSON(JSON.parse(JSON.stringify(icon)));
    expect(again.equals(icon)).toBe(true);
    invalid(() =>
      Icon.fromJSON({ data: '@@@', mimeType: 'image/png', description: null, location: null }),
    );
  });
});

describe('base64', () => {
  it('round-trips arbitrary bytes and matches btoa', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const b64 = encodeBase64(bytes);
        expect(b64).toBe(btoa(String.fromCharCode(...bytes)));
        expect(decodeBase64(b64)).toEqual(bytes);
      }),
    );
  });
  it('ignores line breaks and rejects garbage', () => {
    expect(decodeBase64('AQ\nID')).toEqual(new Uint8Array([1, 2, 3]));
    expect(decodeBase64('A')).toBeUndefined();
    expect(decodeBase64('A=QI')).toBeUndefined();
  });
});

describe('OfflineStatus, rules, addressbook', () => {
  it('OfflineStatus holds a PIDF and serializes its XML', () => {
    const xml = '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b.c"/>';
    const s = new OfflineStatus(new RawPidf(xml));
    expect(s.toJSON()).toEqual({ pidf: xml });
    expect(OfflineStatus.fromJSON({ pidf: xml }).pidf.toXml()).toBe(xml);
    invalid(() => new OfflineStatus({} as never), 'pidf');
    invalid(() => new RawPidf(''), 'pidf');
  });
  it('rules validate sub-handling values', () => {
    expect(new PresenceRules('confirm').defaultPolicy).toBe('confirm');
    expect(new DialogRules(null).defaultPolicy).toBeNull();
    invalid(() => new PresenceRules('maybe' as never), 'defaultPolicy');
  });
  it('addressbook looks items up by id', () => {
    const c = new Contact({ id: 'c1', name: 'A' });
    const ab = new Addressbook([c], [], []);
    expect(ab.contact('c1')).toBe(c);
    expect(ab.contact('c2')).toBeUndefined();
    expect(Object.isFrozen(ab.contacts)).toBe(true);
  });
});
