import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { applyTreeChanges, diffTrees } from '../../src/codecs/xml/tree-diff.js';
import { applyOperation, type Documents } from '../../src/journal/index.js';
import { ctx, fixtureDocs } from '../journal/fixture-helpers.js';
import { operation } from '../journal/operation-arbitrary.js';

/** Through JSON, as the document cache stores the changes. */
const stored = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('diffTrees / applyTreeChanges', () => {
  it('replaying the changes of random operations gives the new documents exactly', () => {
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 8 }), (ops) => {
        let docs: Documents = fixtureDocs();
        for (const op of ops) {
          const next = applyOperation(docs, op, ctx).docs;
          for (const n of DOCUMENT_NAMES) {
            const a = docs[n];
            const b = next[n];
            if (!a || !b) continue;
            const changes = stored(diffTrees(a, b));
            const replayed = applyTreeChanges(stored(a), changes);
            expect(replayed).toEqual(stored(b));
            expect(serializeXml(replayed)).toBe(serializeXml(b));
          }
          docs = next;
        }
      }),
      { numRuns: 15 },
    );
  });

  it('a one-item edit is a change of that item, not of the document', () => {
    const docs = fixtureDocs();
    const rl = docs['resource-lists']!;
    const next = applyOperation(docs, { type: 'removeContact', id: 'missing' } as never, ctx).docs;
    expect(diffTrees(rl, next['resource-lists']!)).toEqual([]);
    const a = parseXml('<r><l><i id="1"/><i id="2"/><i id="3"/></l><m/></r>');
    const l = a.children[0] as typeof a;
    const b = {
      ...a,
      children: [
        { ...l, children: [l.children[0]!, parseXml('<i id="x"/>'), l.children[2]!] },
        a.children[1]!,
      ],
    };
    const changes = diffTrees(a, b);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      path: [0, 1],
      element: { name: 'i', attributes: [{ name: 'id', value: 'x' }] },
    });
    expect(changes[0]!.nodes).toBeUndefined();
    expect(applyTreeChanges(a, changes)).toEqual(b);
  });

  it('a change log that does not fit the tree is refused', () => {
    const a = parseXml('<r><x/></r>');
    expect(() => applyTreeChanges(a, [{ path: [3], from: 0, to: 0, nodes: [] }])).toThrow(
      RangeError,
    );
    expect(() => applyTreeChanges(a, [{ path: [], from: 0, to: 5, nodes: [] }])).toThrow(
      RangeError,
    );
  });
});
