import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import {
  applyOperation,
  applyOperations,
  type Documents,
  type Operation,
  type OperationOutcome,
  operations,
} from '../../src/journal/index.js';
import {
  type Attributes,
  Contact,
  type ContactData,
  ContactURI,
  type ContactURIData,
  type EventHandlingData,
  Group,
  Policy,
  type PolicyData,
} from '../../src/model/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';

// Small id and URI pools: operations collide, touch the same URIs again (the batch must close
// its window), hit missing targets and make URIs unreferenced.
const CONTACT_IDS = ['ca', 'cb', 'cc', 'cd'];
const URI_IDS = ['ua', 'ub'];
const GROUP_IDS = ['ga', 'gb'];
const POLICY_IDS = ['pa', 'pb'];
const URIS = [
  'sip:a@x.org',
  'sip:b@x.org',
  'tel:+15551234',
  'sip:other-grant@example.org',
  'sip:zed@example.org',
  'sip:e@x.org',
  'sip:f@x.org',
];

const handling = fc.record({
  policy: fc.constantFrom('allow', 'block', 'default') as fc.Arbitrary<EventHandlingData['policy']>,
  subscribe: fc.boolean(),
});
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(
  fc.constantFrom('k1', 'k2'),
  fc.option(fc.constantFrom('', 'v'), { nil: null }),
);
const name = fc.constantFrom('', 'Bob', 'A & <B>');
const uriData: fc.Arbitrary<ContactURIData> = fc.record({
  id: fc.constantFrom(...URI_IDS),
  uri: fc.constantFrom(...URIS),
  type: fc.option(fc.constantFrom('SIP'), { nil: null }),
  attributes,
});
const contactData: fc.Arbitrary<ContactData> = fc
  .record({
    id: fc.constantFrom(...CONTACT_IDS),
    name,
    uris: fc.uniqueArray(uriData, { selector: (u) => u.id, maxLength: 2 }),
    presence: handling,
    dialog: handling,
    attributes,
  })
  .map((c) => ({ ...c, defaultUri: c.uris[0]?.id ?? null }));
const policyData: fc.Arbitrary<PolicyData> = fc.record({
  id: fc.constantFrom(...POLICY_IDS),
  name,
  uri: fc.constantFrom(...URIS),
  presence: handling,
  dialog: handling,
  attributes,
});
const partialHandling = fc.record(
  { policy: fc.constantFrom('allow', 'block', 'default'), subscribe: fc.boolean() },
  { requiredKeys: [] },
) as fc.Arbitrary<{ policy?: EventHandlingData['policy']; subscribe?: boolean }>;
const cid = fc.constantFrom(...CONTACT_IDS, 'missing');
const gid = fc.constantFrom(...GROUP_IDS);
const pid = fc.constantFrom(...POLICY_IDS);
const uid = fc.constantFrom(...URI_IDS);

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: contactData.map((c) => operations.addContact(new Contact(c))) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        cid,
        fc.record(
          { name, presence: partialHandling, dialog: partialHandling, attributes },
          {
            requiredKeys: [],
          },
        ),
      )
      .map(([id, ch]) => operations.updateContact(id, ch)),
  },
  { weight: 2, arbitrary: cid.map((id) => operations.removeContact(id)) },
  fc.tuple(cid, uriData).map(([id, u]) => operations.addContactUri(id, new ContactURI(u))),
  fc
    .tuple(cid, uid, fc.constantFrom(...URIS))
    .map(([c, u, uri]) => operations.updateContactUri(c, u, { uri })),
  fc.tuple(cid, uid).map(([c, u]) => operations.removeContactUri(c, u)),
  fc
    .record({ id: gid, name, contacts: fc.subarray(CONTACT_IDS), attributes })
    .map((g) => operations.addGroup(new Group(g))),
  fc.tuple(gid, name).map(([g, n]) => operations.updateGroup(g, { name: n })),
  gid.map((g) => operations.removeGroup(g)),
  fc.tuple(gid, cid).map(([g, c]) => operations.addGroupMember(g, c)),
  fc.tuple(gid, cid).map(([g, c]) => operations.removeGroupMember(g, c)),
  { weight: 3, arbitrary: policyData.map((p) => operations.addPolicy(new Policy(p))) },
  fc
    .tuple(pid, fc.constantFrom(...URIS), partialHandling)
    .map(([p, uri, presence]) => operations.updatePolicy(p, { uri, presence })),
  pid.map((p) => operations.removePolicy(p)),
  fc
    .constantFrom('allow', 'block', 'confirm', 'polite-block')
    .map((p) => operations.setDefaultPresencePolicy(p)),
  fc.constant(operations.normalize()),
  // Journal data that fails validation (hand-edited storage) is a skip inside a batch too.
  fc.constant({ type: 'addContact', contact: { id: '' } } as unknown as Operation),
);

/** Another client's document: foreign lists, entries, elements, grants and a duplicate-free book. */
const FOREIGN_RL = `<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:x="urn:example:x"><rl:list name="friends"><rl:entry uri="sip:zed@example.org"/></rl:list><rl:list name="oma_grantedcontacts"><rl:entry uri="sip:other-grant@example.org"><rl:display-name>theirs</rl:display-name></rl:entry><x:mark/></rl:list><rl:list name="oma_blockedcontacts"><rl:entry uri="sip:zed@example.org"/></rl:list><rl:list name="sipsimple_addressbook"><x:note>foreign item</x:note></rl:list><x:top/></rl:resource-lists>`;

/** Duplicate ids from another client: two contacts `ca`, two items `pz` nobody decodes. */
const DUPLICATES_RL = `<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:ab="urn:ag-projects:xml:ns:addressbook"><rl:list name="sipsimple_addressbook"><ab:contact id="ca"><ab:name>first</ab:name><ab:uris><ab:uri id="ua" uri="sip:a@x.org"/></ab:uris></ab:contact><ab:contact id="ca"><ab:name>second</ab:name><ab:uris><ab:uri id="ub" uri="sip:b@x.org"/></ab:uris></ab:contact></rl:list></rl:resource-lists>`;
const UNDECODABLE_RL = `<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:ab="urn:ag-projects:xml:ns:addressbook"><rl:list name="sipsimple_addressbook"><ab:policy-element id="pa"/><ab:policy-element id="pa"><ab:name>x</ab:name></ab:policy-element><ab:group id="gz"/></rl:list></rl:resource-lists>`;

const starts: Record<string, () => Documents> = {
  empty: () => ({}),
  fixture: fixtureDocs,
  foreign: () => ({ 'resource-lists': parseXml(FOREIGN_RL) }),
  'duplicate-id': () => ({ 'resource-lists': parseXml(DUPLICATES_RL) }),
  'undecodable duplicate-id': () => ({ 'resource-lists': parseXml(UNDECODABLE_RL) }),
};

function oneByOne(
  docs: Documents,
  ops: readonly Operation[],
): { docs: Documents; outcomes: OperationOutcome[] } {
  let cur = docs;
  const outcomes: OperationOutcome[] = [];
  for (const op of ops) {
    const r = applyOperation(cur, op, ctx);
    cur = r.docs;
    outcomes.push(r.outcome);
  }
  return { docs: cur, outcomes };
}

const text = (d: Documents): Record<string, string | null> =>
  Object.fromEntries(DOCUMENT_NAMES.map((n) => [n, d[n] ? serializeXml(d[n]!) : null]));

describe('applyOperations (a batch) = applyOperation one at a time', () => {
  for (const [label, start] of Object.entries(starts)) {
    it(`gives the same documents and outcomes from ${label} documents`, () => {
      let edits = 0;
      fc.assert(
        fc.property(fc.array(operation, { minLength: 1, maxLength: 25 }), (ops) => {
          const docs = start();
          const seq = oneByOne(docs, ops);
          const batch = applyOperations(docs, ops, ctx);
          // Byte for byte the same documents (prefixes, entry order, foreign content).
          expect(text(batch.docs)).toEqual(text(seq.docs));
          // Per operation: the same skips and the same changed documents.
          expect(batch.outcomes).toEqual(seq.outcomes);
          // A document one at a time never changed keeps its identity in the batch too.
          for (const n of DOCUMENT_NAMES)
            if (seq.docs[n] === docs[n]) expect(batch.docs[n]).toBe(docs[n]);
          edits += seq.outcomes.filter((o) => o.changed.includes('resource-lists')).length;
        }),
        { numRuns: 150 },
      );
      // The property ran on real edits, not only on skips.
      expect(edits).toBeGreaterThan(300);
    });
  }

  it('a 300-contact import (one window, one recompute) equals one at a time', () => {
    const ops = Array.from({ length: 300 }, (_, i) =>
      operations.addContact(
        new Contact({
          id: `c${i}`,
          name: `C ${i}`,
          uris: [new ContactURI({ id: `u${i}`, uri: `sip:u${i}@ex.net`, type: null })],
          defaultUri: null,
          presence: { policy: i % 3 === 0 ? 'block' : 'allow', subscribe: i % 2 === 0 },
          dialog: { policy: 'default', subscribe: false },
          attributes: {},
        }),
      ),
    );
    const docs = fixtureDocs();
    const seq = oneByOne(docs, ops);
    const batch = applyOperations(docs, ops, ctx);
    expect(text(batch.docs)).toEqual(text(seq.docs));
    expect(batch.outcomes).toEqual(seq.outcomes);
    // Applying the same batch again changes nothing and keeps every document's identity.
    const again = applyOperations(batch.docs, ops, ctx);
    for (const n of DOCUMENT_NAMES) expect(again.docs[n]).toBe(batch.docs[n]);
    expect(again.outcomes.every((o) => o.changed.length === 0)).toBe(true);
  });
});
