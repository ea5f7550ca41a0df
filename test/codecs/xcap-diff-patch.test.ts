import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXcapDiff } from '../../src/codecs/xcap-diff.js';
import { applyXcapDiffPatch, XcapDiffPatchError } from '../../src/codecs/xcap-diff-patch.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import type { XmlElement } from '../../src/codecs/xml/tree.js';
import { attr, NS, sameElement } from '../../src/codecs/xml/tree.js';

const RL = NS.resourceLists;
const doc = (xml: string): XmlElement => parseXml(xml);

/** Builds a diff with one document whose patch is `ops` and applies it to `before`. */
function patch(before: string, ops: string, extraNs = ''): XmlElement {
  const diff = parseXcapDiff(
    `<d:xcap-diff xmlns:d="${NS.xcapDiff}" xmlns="${RL}" ${extraNs} xcap-root="http://x/"><d:document sel="resource-lists/users/sip:a@b/index" previous-etag="1" new-etag="2">${ops}</d:document></d:xcap-diff>`,
  );
  return applyXcapDiffPatch(doc(before), diff.documents[0]!.ops);
}

/** Applies `ops` to an already built tree (see {@link patch}). */
function patch2(before: XmlElement, ops: string, extraNs = ''): XmlElement {
  const diff = parseXcapDiff(
    `<d:xcap-diff xmlns:d="${NS.xcapDiff}" xmlns="${RL}" ${extraNs} xcap-root="http://x/"><d:document sel="resource-lists/users/sip:a@b/index" previous-etag="1" new-etag="2">${ops}</d:document></d:xcap-diff>`,
  );
  return applyXcapDiffPatch(before, diff.documents[0]!.ops);
}

function expectSame(actual: XmlElement, expected: string): void {
  const e = doc(expected);
  if (!sameElement(actual, e)) expect(actual).toEqual(e);
}

const BASE = `<resource-lists xmlns="${RL}"><list name="a"><entry uri="sip:1@x"/><entry uri="sip:2@x"/></list><list name="b"/></resource-lists>`;

describe('applyXcapDiffPatch (RFC 5261 subset)', () => {
  it('adds an element as the last child, first child, before and after a sibling', () => {
    expectSame(
      patch(BASE, `<d:add sel="*/list[@name='b']"><entry uri="sip:3@x"/></d:add>`),
      `<resource-lists xmlns="${RL}"><list name="a"><entry uri="sip:1@x"/><entry uri="sip:2@x"/></list><list name="b"><entry uri="sip:3@x"/></list></resource-lists>`,
    );
    expectSame(
      patch(
        BASE,
        `<d:add sel="/resource-lists/list[1]" pos="prepend"><entry uri="sip:0@x"/></d:add>`,
      ),
      `<resource-lists xmlns="${RL}"><list name="a"><entry uri="sip:0@x"/><entry uri="sip:1@x"/><entry uri="sip:2@x"/></list><list name="b"/></resource-lists>`,
    );
    expectSame(
      patch(
        BASE,
        `<d:add sel="*/list[@name=&quot;a&quot;]/entry[2]" pos="before"><entry uri="sip:9@x"/></d:add>`,
      ),
      `<resource-lists xmlns="${RL}"><list name="a"><entry uri="sip:1@x"/><entry uri="sip:9@x"/><entry uri="sip:2@x"/></list><list name="b"/></resource-lists>`,
    );
    expectSame(
      patch(BASE, `<d:add sel="*/list[@name='a']" pos="after"><list name="c"/></d:add>`),
      `<resource-lists xmlns="${RL}"><list name="a"><entry uri="sip:1@x"/><entry uri="sip:2@x"/></list><list name="c"/><list name="b"/></resource-lists>`,
    );
  });

  it('adds an attribute and a namespace declaration (type)', () => {
    const out = patch(
      BASE,
      `<d:add sel="*/list[2]" type="@p:flag">yes</d:add><d:add sel="*" type="namespace::q">urn:q</d:add>`,
      'xmlns:p="urn:p"',
    );
    expect(out.namespaces?.q).toBe('urn:q');
    const list = out.children[1] as XmlElement;
    expect(list.attributes).toContainEqual({
      ns: 'urn:p',
      name: 'flag',
      value: 'yes',
      prefix: 'p',
    });
  });

  it('replaces an element, an attribute and a text node', () => {
    const before = `<resource-lists xmlns="${RL}"><list name="a"><display-name>Old</display-name></list></resource-lists>`;
    expectSame(
      patch(
        before,
        `<d:replace sel="*/list/display-name/text()">New</d:replace><d:replace sel="*/list/@name">z</d:replace>`,
      ),
      `<resource-lists xmlns="${RL}"><list name="z"><display-name>New</display-name></list></resource-lists>`,
    );
    expectSame(
      patch(before, `<d:replace sel="*/list[display-name='Old']"><list name="n"/></d:replace>`),
      `<resource-lists xmlns="${RL}"><list name="n"/></resource-lists>`,
    );
  });

  it('removes an element with its following whitespace, and an attribute', () => {
    const before = `<resource-lists xmlns="${RL}"><list name="a"/>\n  <list name="b"/></resource-lists>`;
    const out = patch(
      before,
      `<d:remove sel="*/list[@name='a']" ws="after"/><d:remove sel="*/list/@name"/>`,
    );
    expect(out.children).toHaveLength(1);
    expect((out.children[0] as XmlElement).attributes).toEqual([]);
  });

  it('matches prefixed selectors through the bindings in scope of the operation', () => {
    const out = patch(
      BASE,
      `<d:remove xmlns:rl="${RL}" sel="/rl:resource-lists/rl:list[@name='b']"/>`,
    );
    expect(out.children).toHaveLength(1);
  });

  it('leaves the input unchanged', () => {
    const before = doc(BASE);
    const copy = JSON.parse(JSON.stringify(before));
    patch(BASE, `<d:remove sel="*/list[1]"/>`);
    expect(before).toEqual(copy);
  });

  it.each([
    [`<d:remove sel="*/list[3]"/>`, 'unlocated-node'],
    [`<d:remove sel="*/list"/>`, 'unlocated-node'],
    [`<d:remove sel="*"/>`, 'invalid-root-element-operation'],
    // A new root is a new document: fetched, not trusted (it left the manager wedged before).
    [`<d:replace sel="*"><other xmlns="urn:x"/></d:replace>`, 'invalid-root-element-operation'],
    [
      `<d:replace sel="/resource-lists"><resource-lists/></d:replace>`,
      'invalid-root-element-operation',
    ],
    [`<d:add sel="*" pos="after"><list/></d:add>`, 'invalid-root-element-operation'],
    [`<d:remove sel="//list"/>`, 'invalid-xpath'],
    [`<d:remove sel="*/list[contains(@name,'a')]"/>`, 'invalid-xpath'],
    [`<d:remove sel="*/zz:list"/>`, 'invalid-namespace-prefix'],
    [`<d:remove sel="*/list[1]" ws="before"/>`, 'invalid-whitespace-directive'],
    [`<d:replace sel="*/list[1]"><a/><b/></d:replace>`, 'invalid-node-types'],
    [`<d:add sel="*/list[1]" type="@name">x</d:add>`, 'invalid-attribute-value'],
  ])('%s fails with %s', (ops, reason) => {
    let error: unknown;
    try {
      patch(BASE, ops);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(XcapDiffPatchError);
    expect((error as XcapDiffPatchError).reason).toBe(reason);
    expect((error as XcapDiffPatchError).code).toBe('RXCAP_XCAP_DIFF_PATCH');
  });
});

describe('applyXcapDiffPatch cost', () => {
  /** A list of `n` entries whose child array counts the reads of its items. */
  function countedDocument(n: number): { root: XmlElement; reads: () => number } {
    let reads = 0;
    const entries = Array.from({ length: n }, (_, i) => `<entry uri="sip:u${i}@x"/>`).join('');
    const root = doc(
      `<resource-lists xmlns="${RL}"><list name="a">${entries}</list></resource-lists>`,
    );
    const list = root.children[0] as XmlElement;
    const children = new Proxy(list.children as XmlElement['children'] & object, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    return { root: { ...root, children: [{ ...list, children }] }, reads: () => reads };
  }

  it('reads each sibling about once for a patch of many [@attr] operations, not once per operation', () => {
    // Before: every operation scanned (and copied) all 2,000 siblings: 4,000,000 reads.
    const { root, reads } = countedDocument(2000);
    const ops = Array.from(
      { length: 1000 },
      (_, k) =>
        `<d:replace sel="rl:resource-lists/rl:list/rl:entry[@uri='sip:u${k * 2}@x']/@uri">sip:v${k}@x</d:replace>`,
    ).join('');
    const out = patch2(root, ops, `xmlns:rl="${RL}"`);
    expect(reads()).toBeLessThanOrEqual(2 * 2000);
    const list = out.children[0] as XmlElement;
    expect(attr(list.children[0] as XmlElement, 'uri')).toBe('sip:v0@x');
    expect(attr(list.children[1] as XmlElement, 'uri')).toBe('sip:u1@x');
    expect(attr(list.children[1998] as XmlElement, 'uri')).toBe('sip:v999@x');
  });

  it('shares every subtree no operation touched with the input', () => {
    const before = doc(BASE);
    const out = patch2(before, `<d:remove sel="*/list[@name='a']/entry[1]"/>`);
    expect(out.children[1]).toBe(before.children[1]);
    expect((out.children[0] as XmlElement).children[0]).toBe(
      (before.children[0] as XmlElement).children[1],
    );
  });
});

describe('applyXcapDiffPatch properties', () => {
  const user = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  it('adding an entry at any position and removing it again gives the original document', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(user, { minLength: 1, maxLength: 8 }),
        user,
        fc.nat(),
        (users, extra, at) => {
          fc.pre(!users.includes(extra));
          const entries = users.map((u) => `<entry uri="sip:${u}@x"/>`).join('');
          const before = `<resource-lists xmlns="${RL}"><list name="a">${entries}</list></resource-lists>`;
          const i = (at % users.length) + 1;
          const added = patch(
            before,
            `<d:add sel="*/list/entry[${i}]" pos="before"><entry uri="sip:${extra}@x"/></d:add>`,
          );
          const list = added.children[0] as XmlElement;
          expect(attr(list.children[i - 1] as XmlElement, 'uri')).toBe(`sip:${extra}@x`);
          const diff = parseXcapDiff(
            `<d:xcap-diff xmlns:d="${NS.xcapDiff}" xmlns="${RL}" xcap-root="http://x/"><d:document sel="resource-lists/users/sip:a@b/index" new-etag="3"><d:remove sel="*/list/entry[@uri='sip:${extra}@x']"/></d:document></d:xcap-diff>`,
          );
          expect(sameElement(applyXcapDiffPatch(added, diff.documents[0]!.ops), doc(before))).toBe(
            true,
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
