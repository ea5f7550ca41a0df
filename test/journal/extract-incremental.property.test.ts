/**
 * Extraction reuses what an edit did not touch (extract.ts memoizes per document and per item):
 * the result must be exactly a fresh extraction of the same documents, and the unchanged parts
 * must be the same objects (that is what makes an edit's cost independent of them).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import type { XmlElement } from '../../src/codecs/xml/tree.js';
import {
  applyOperation,
  type Documents,
  extractData,
  normalizeResourceLists,
  operations,
} from '../../src/journal/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';
import { operation } from './operation-arbitrary.js';

/** The same documents as new objects: nothing memoized for them. */
function fresh(docs: Documents): Documents {
  const out: Documents = {};
  for (const n of DOCUMENT_NAMES) {
    const d = docs[n];
    if (d !== undefined) out[n] = d === null ? null : (structuredClone(d) as XmlElement);
  }
  return out;
}

const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

describe('extractData after edits = a fresh extraction', () => {
  it('on random operation sequences, extracting after every operation', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 12 }), (ops) => {
        let docs = fixtureDocs();
        extractData(docs, ctx);
        for (const op of ops) {
          docs = applyOperation(docs, op, ctx).docs;
          expect(json(extractData(docs, ctx))).toEqual(json(extractData(fresh(docs), ctx)));
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('normalize of a normalized document returns it', () => {
  it('the memoized answer is what a fresh normalize of the same document gives', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 12 }), (ops) => {
        let docs = fixtureDocs();
        for (const op of ops) {
          docs = applyOperation(docs, op, ctx).docs;
          const rl = docs['resource-lists'];
          if (!rl) continue;
          expect(normalizeResourceLists(rl, ctx)).toBe(rl);
          const copy = structuredClone(rl) as XmlElement;
          expect(serializeXml(normalizeResourceLists(copy, ctx))).toBe(serializeXml(rl));
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe('extractData reuses what an edit did not touch', () => {
  it('an unchanged PIDF gives the same offline status object (it is not serialized again)', () => {
    const docs = fixtureDocs();
    const a = extractData(docs, ctx);
    const b = extractData({ ...docs }, ctx);
    expect(a.offlineStatus).not.toBeNull();
    expect(b.offlineStatus).toBe(a.offlineStatus);
    expect(b.presenceRules).toBe(a.presenceRules);
    expect(b.dialogRules).toBe(a.dialogRules);
    expect(b.addressbook).toBe(a.addressbook);
  });

  it('a one-contact edit keeps every other contact, group and policy object', () => {
    const docs = fixtureDocs();
    const before = extractData(docs, ctx).addressbook;
    const target = before.contacts[0]!;
    const next = applyOperation(
      docs,
      operations.updateContact(target.id, { name: 'Renamed' }),
      ctx,
    ).docs;
    const after = extractData(next, ctx).addressbook;
    expect(after).not.toBe(before);
    expect(after.contact(target.id)?.name).toBe('Renamed');
    for (const c of before.contacts.slice(1)) expect(after.contact(c.id)).toBe(c);
    for (const p of before.policies) expect(after.policy(p.id)).toBe(p);
    // A group whose members did not change is the same object; the edited contact's groups are new.
    for (const g of before.groups)
      if (!g.contacts.some((c) => c.id === target.id)) expect(after.group(g.id)).toBe(g);
      else
        expect(after.group(g.id)?.contacts.find((c) => c.id === target.id)?.name).toBe('Renamed');
  });

  it('another PIDF is extracted anew', () => {
    const docs = fixtureDocs();
    const a = extractData(docs, ctx).offlineStatus;
    const pidf = parseXml(
      '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"><tuple id="t1"><status><basic>closed</basic></status></tuple></presence>',
    );
    const b = extractData({ ...docs, 'pidf-manipulation': pidf }, ctx).offlineStatus;
    expect(b).not.toBe(a);
    expect(json(b)).not.toEqual(json(a));
  });
});
