/**
 * A batch window appends new items to its own copy of the addressbook list in place
 * (src/journal/batch.ts, step.ts `ownedLists`): copying the list for every addContact made an
 * import quadratic (8,000 contacts: 25.7 s; `bench/batch.ts` measures it). These properties
 * check that the result is still what one operation at a time gives, on long batches of
 * appends mixed with every other operation, and that no list is edited in place once it has
 * left the batch: neither the documents given to a batch nor those an earlier batch returned.
 */
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
  operations,
} from '../../src/journal/index.js';
import { Contact, ContactURI } from '../../src/model/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';
import { operation } from './operation-arbitrary.js';

/** Another client's addressbook list, with items rxcap does not decode between its contacts. */
const FOREIGN_RL = `<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:ab="urn:ag-projects:xml:ns:addressbook" xmlns:x="urn:example:x"><rl:list name="sipsimple_addressbook"><x:note>foreign item</x:note><rl:entry uri="sip:listed@x.org"/><ab:contact id="ca"><ab:name>A</ab:name><ab:uris><ab:uri id="ua" uri="sip:a@x.org"/></ab:uris></ab:contact></rl:list></rl:resource-lists>`;

/** A new contact; URIs come from a small pool, so that the window often closes ('again'). */
const added = fc
  .tuple(fc.integer({ min: 0, max: 199 }), fc.integer({ min: 0, max: 11 }), fc.boolean())
  .map(([i, u, block]) =>
    operations.addContact(
      new Contact({
        id: `n${i}`,
        name: `New ${i}`,
        uris: [new ContactURI({ id: `nu${i}`, uri: `sip:n${u}@x.org`, type: null })],
        defaultUri: null,
        presence: { policy: block ? 'block' : 'allow', subscribe: !block },
        dialog: { policy: 'default', subscribe: false },
        attributes: {},
      }),
    ),
  );
const batch = fc.array(
  fc.oneof({ weight: 4, arbitrary: added }, { weight: 1, arbitrary: operation }),
  {
    minLength: 1,
    maxLength: 120,
  },
);

const text = (d: Documents): Record<string, string | null> =>
  Object.fromEntries(DOCUMENT_NAMES.map((n) => [n, d[n] ? serializeXml(d[n]!) : null]));

function oneByOne(docs: Documents, ops: readonly Operation[]) {
  let cur = docs;
  const outcomes = [];
  for (const op of ops) {
    const r = applyOperation(cur, op, ctx);
    cur = r.docs;
    outcomes.push(r.outcome);
  }
  return { docs: cur, outcomes };
}

const starts: Record<string, () => Documents> = {
  empty: () => ({}),
  fixture: fixtureDocs,
  foreign: () => ({ 'resource-lists': parseXml(FOREIGN_RL) }),
};

describe('a batch that appends in place', () => {
  for (const [label, start] of Object.entries(starts)) {
    it(`equals one at a time on long batches of appends from ${label} documents, and edits no list it was given or returned`, () => {
      fc.assert(
        fc.property(batch, batch, (ops, more) => {
          const docs = start();
          const given = text(docs);
          const seq = oneByOne(docs, ops);
          const first = applyOperations(docs, ops, ctx);
          expect(text(first.docs)).toEqual(text(seq.docs));
          expect(first.outcomes).toEqual(seq.outcomes);
          expect(text(docs)).toEqual(given);
          // A second batch on the first one's documents leaves them as they were.
          const returned = text(first.docs);
          const second = applyOperations(first.docs, more, ctx);
          expect(text(first.docs)).toEqual(returned);
          expect(text(second.docs)).toEqual(text(oneByOne(first.docs, more).docs));
        }),
        { numRuns: 25 },
      );
    });
  }
});
