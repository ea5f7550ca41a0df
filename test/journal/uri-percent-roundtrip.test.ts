import { describe, expect, it } from 'vitest';
import { decodeUriValue } from '../../src/codecs/addressbook-uri.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { attr, children, NS } from '../../src/codecs/xml/tree.js';
import {
  applyOperations,
  type Documents,
  extractData,
  operations,
} from '../../src/journal/index.js';
import { Contact, ContactURI, EventHandling, Policy } from '../../src/model/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';

// RFC 3261 §25.1 allows escaped octets in the user part, and rxcap's validation accepts them.
// Readers (rxcap and sipsimple alike, quirk 14) percent-decode stored URI values, so a URI that
// holds "%XX" must be stored so that decoding gives it back, not a different URI.
const CONTACT_URI = 'sip:a%2Bb@example.com';
const POLICY_URI = 'sip:100%25pure@example.com';

function reparse(docs: Documents): Documents {
  const out: Documents = {};
  for (const [name, doc] of Object.entries(docs))
    if (doc) out[name as keyof Documents] = parseXml(serializeXml(doc));
  return out;
}

describe('URIs holding %XX survive a write and a read', () => {
  it('a contact and a policy URI with percent escapes read back unchanged', () => {
    const { docs } = applyOperations(
      fixtureDocs(),
      [
        operations.addContact(
          new Contact({
            id: 'pct',
            name: 'Percent',
            uris: [new ContactURI({ id: 'pct1', uri: CONTACT_URI })],
            presence: new EventHandling('allow', true),
            dialog: new EventHandling('allow', false),
          }),
        ),
        operations.addPolicy(
          new Policy({
            id: 'pctp',
            name: 'P',
            uri: POLICY_URI,
            presence: new EventHandling('block', false),
          }),
        ),
      ],
      ctx,
    );
    const read = extractData(reparse(docs), ctx).addressbook;
    const contact = read.contacts.find((c) => c.id === 'pct')!;
    expect(contact.uris.map((u) => u.uri)).toEqual([CONTACT_URI]);
    expect(read.policies.find((p) => p.id === 'pctp')!.uri).toBe(POLICY_URI);
    // The derived list entries decode to the same URIs too.
    const granted = children(docs['resource-lists']!, NS.resourceLists, 'list').find(
      (l) => attr(l, 'name') === 'oma_grantedcontacts',
    )!;
    const entries = children(granted, NS.resourceLists, 'entry').map((e) =>
      decodeUriValue(attr(e, 'uri')!),
    );
    expect(entries).toContain(CONTACT_URI);
  });

  // Contact, policy and list entry URIs are xs:anyURI in sipsimple's schemas; libxml2's check
  // refuses "[" and "]" outside a URI authority (quirk 13) and a second "#", and a SIP or tel
  // URI has no authority, so an IPv6 host must be stored percent-encoded.
  it('a SIP URI with an IPv6 host is stored without [ ] and reads back unchanged', () => {
    const v6 = 'sip:bob@[2001:db8::1]:5060;transport=tcp';
    const tel = 'tel:*31#;phone-context=#x';
    const { docs } = applyOperations(
      fixtureDocs(),
      [
        operations.addContact(
          new Contact({
            id: 'v6',
            name: 'V6',
            uris: [new ContactURI({ id: 'v6a', uri: v6 }), new ContactURI({ id: 'v6b', uri: tel })],
            presence: new EventHandling('allow', true),
          }),
        ),
      ],
      ctx,
    );
    const xml = serializeXml(docs['resource-lists']!);
    const uriValues = [...xml.matchAll(/ uri="([^"]*)"/g)].map((m) => m[1]!);
    expect(uriValues.length).toBeGreaterThan(0);
    for (const u of uriValues) expect(u).not.toMatch(/[[\]#]/);
    const read = extractData(reparse(docs), ctx).addressbook;
    expect(read.contacts.find((c) => c.id === 'v6')!.uris.map((u) => u.uri)).toEqual([v6, tel]);
  });
});
