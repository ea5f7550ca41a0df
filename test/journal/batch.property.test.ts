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
import { Contact, ContactURI } from '../../src/model/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';
import { operation } from './operation-arbitrary.js';

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
