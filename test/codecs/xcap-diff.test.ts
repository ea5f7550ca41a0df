import { describe, expect, it } from 'vitest';
import {
  changedDocuments,
  parseXcapDiff,
  resolveDocumentSelector,
  staleDocuments,
  watchedDocumentUris,
  XcapDiffParseError,
  xcapDiffSubscribeBody,
} from '../../src/codecs/xcap-diff.js';
import { normalizeXui } from '../../src/codecs/xcap-diff-subscribe.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { attr, children, NS } from '../../src/codecs/xml/tree.js';

const ROOT = 'http://xcap.example.com/xcap-root';
const XUI = 'sip:joe@example.com';

// RFC 5874 §4 style body: two documents (one patched, one removed), an element and an attribute.
const RFC_BODY = `<?xml version="1.0" encoding="UTF-8"?>
<d:xcap-diff xmlns="urn:ietf:params:xml:ns:resource-lists"
             xmlns:d="urn:ietf:params:xml:ns:xcap-diff"
             xcap-root="${ROOT}/">
  <d:document previous-etag="7hahsd" sel="resource-lists/users/sip:joe@example.com/index" new-etag="fgherhryt3">
    <d:add sel="*"><list name="friends"/></d:add>
    <d:remove sel="*/list[@name=&quot;old&quot;]" ws="after"/>
  </d:document>
  <d:document previous-etag="ffds66a" sel="rls-services/users/sip:joe@example.com/index"/>
  <d:document sel="pidf-manipulation/users/sip%3Ajoe%40example.com/index" new-etag="e1"><d:body-not-changed/></d:document>
  <d:element sel="org.openxcap.dialog-rules/users/sip:joe@example.com/index/~~/ruleset" exists="0"/>
  <d:attribute sel="resource-lists/users/sip:bob@example.com/index/~~/resource-lists/list/@name" exists="1">x</d:attribute>
</d:xcap-diff>`;

describe('parseXcapDiff (RFC 5874)', () => {
  it('decodes documents with ETags, patch operations and body-not-changed', () => {
    const diff = parseXcapDiff(RFC_BODY);
    expect(diff.xcapRoot).toBe(`${ROOT}/`);
    expect(diff.documents).toHaveLength(3);
    const [rl, rls, pidf] = diff.documents;
    expect(rl!.ref).toEqual({
      auid: 'resource-lists',
      scope: 'users',
      xui: XUI,
      filename: 'index',
    });
    expect(rl!.previousEtag).toBe('7hahsd');
    expect(rl!.newEtag).toBe('fgherhryt3');
    expect(rl!.ops.map((o) => o.op)).toEqual(['add', 'remove']);
    const add = rl!.ops[0]!;
    expect(add.sel).toBe('*');
    expect(add.namespaces['']).toBe(NS.resourceLists);
    expect(add.namespaces.d).toBe(NS.xcapDiff);
    expect(rl!.ops[1]).toMatchObject({ op: 'remove', sel: '*/list[@name="old"]', ws: 'after' });
    expect(rls!.newEtag).toBeNull();
    expect(rls!.previousEtag).toBe('ffds66a');
    expect(pidf!.ref?.xui).toBe(XUI);
    expect(pidf!.bodyNotChanged).toBe(true);
    expect(diff.nodes.map((n) => [n.kind, n.ref?.auid, n.nodeSelector, n.exists])).toEqual([
      ['element', 'org.openxcap.dialog-rules', 'ruleset', false],
      ['attribute', 'resource-lists', 'resource-lists/list/@name', true],
    ]);
  });

  it('rejects bodies that are not xcap-diff with a typed error', () => {
    for (const bad of ['', '<x', '<a xmlns="urn:x"/>', `<xcap-diff xmlns="${NS.xcapDiff}"/>`]) {
      expect(() => parseXcapDiff(bad)).toThrow(XcapDiffParseError);
    }
    try {
      parseXcapDiff('<x');
    } catch (e) {
      expect((e as XcapDiffParseError).code).toBe('RXCAP_XCAP_DIFF_PARSE');
    }
  });

  it('rejects an unknown pos on <add>', () => {
    const body = `<xcap-diff xmlns="${NS.xcapDiff}" xcap-root="${ROOT}"><document sel="resource-lists/users/${XUI}/index" new-etag="a"><add sel="*" pos="middle"/></document></xcap-diff>`;
    expect(() => parseXcapDiff(body)).toThrow(/pos="middle"/);
  });
});

describe('resolveDocumentSelector', () => {
  it.each([
    ['resource-lists/users/sip:joe@example.com/index', 'resource-lists', XUI, 'index'],
    ['/resource-lists/users/sip%3Ajoe%40example.com/index', 'resource-lists', XUI, 'index'],
    [`${ROOT}/resource-lists/users/sip:joe@example.com/index`, 'resource-lists', XUI, 'index'],
    [
      'http://127.0.0.1:5080/xcap-root/org.openmobilealliance.pres-content/users/sip:joe@example.com/oma_status-icon/index',
      'org.openmobilealliance.pres-content',
      XUI,
      'oma_status-icon/index',
    ],
  ])('%s', (sel, auid, xui, filename) => {
    expect(resolveDocumentSelector(sel, ROOT)).toEqual({ auid, scope: 'users', xui, filename });
  });

  it('decodes the global tree and refuses what is not a document', () => {
    expect(resolveDocumentSelector('xcap-caps/global/index', ROOT)).toEqual({
      auid: 'xcap-caps',
      scope: 'global',
      filename: 'index',
    });
    expect(resolveDocumentSelector('resource-lists/users/sip:joe@example.com/', ROOT)).toBeNull();
    expect(resolveDocumentSelector('http://other/elsewhere/x', ROOT)).toBeNull();
    expect(resolveDocumentSelector('resource-lists', ROOT)).toBeNull();
  });
});

describe('changedDocuments and staleDocuments', () => {
  it('lists this user’s documents, with null ETags for removed ones and node-only changes', () => {
    const diff = parseXcapDiff(RFC_BODY);
    const changes = changedDocuments(diff, 'joe@example.com');
    expect(changes).toEqual([
      {
        auid: 'resource-lists',
        filename: 'index',
        newEtag: 'fgherhryt3',
        previousEtag: '7hahsd',
        patch: diff.documents[0]!.ops,
        patchComplete: true,
      },
      { auid: 'rls-services', filename: 'index', newEtag: null, previousEtag: 'ffds66a' },
      { auid: 'pidf-manipulation', filename: 'index', newEtag: 'e1', previousEtag: null },
      { auid: 'org.openxcap.dialog-rules', filename: 'index', newEtag: null },
    ]);
  });

  it('passes patches through: complete only with both ETags, chained when consecutive', () => {
    const doc = (prev: string | null, next: string | null, inner: string) =>
      `<d:document sel="resource-lists/users/sip:joe@example.com/index"${prev ? ` previous-etag="${prev}"` : ''}${next ? ` new-etag="${next}"` : ''}>${inner}</d:document>`;
    const body = (...docs: string[]) =>
      `<d:xcap-diff xmlns:d="urn:ietf:params:xml:ns:xcap-diff" xcap-root="${ROOT}/">${docs.join('')}</d:xcap-diff>`;
    const add = (name: string) =>
      `<d:add sel="*"><list xmlns="urn:ietf:params:xml:ns:resource-lists" name="${name}"/></d:add>`;
    const one = (...docs: string[]) => changedDocuments(parseXcapDiff(body(...docs)), XUI)[0]!;
    // e1 -> e2 -> e3 in one NOTIFY: one patch from e1 to e3 with both operations in order.
    const chained = one(doc('e1', 'e2', add('a')), doc('e2', 'e3', add('b')));
    expect(chained).toMatchObject({ previousEtag: 'e1', newEtag: 'e3', patchComplete: true });
    const added = chained.patch?.map((o) => (o.op === 'add' ? o.nodes[0] : undefined));
    expect(added?.map((n) => (n?.type === 'element' ? attr(n, 'name') : n))).toEqual(['a', 'b']);
    // A gap (e2 -> e3 missing) keeps the last patch only.
    const gap = one(doc('e1', 'e2', add('a')), doc('e3', 'e4', add('b')));
    expect(gap).toMatchObject({ previousEtag: 'e3', newEtag: 'e4', patchComplete: true });
    expect(gap.patch).toHaveLength(1);
    // Without previous-etag the patch has no base; body-not-changed and an empty <document> carry none.
    expect(one(doc(null, 'e2', add('a')))).toMatchObject({ patchComplete: false });
    expect(one(doc('e1', 'e2', '<d:body-not-changed/>'))).not.toHaveProperty('patch');
    expect(one(doc('e1', 'e2', ''))).not.toHaveProperty('patch');
  });

  it('keeps only documents whose ETag differs from the cache, ignoring quotes', () => {
    const changes = changedDocuments(parseXcapDiff(RFC_BODY), XUI);
    const cache: Record<string, string> = {
      'resource-lists': '"fgherhryt3"',
      'rls-services': 'ffds66a',
      'pidf-manipulation': 'old',
    };
    const stale = staleDocuments(changes, (auid) => cache[auid]);
    expect(stale.map((c) => c.auid)).toEqual([
      'rls-services',
      'pidf-manipulation',
      'org.openxcap.dialog-rules',
    ]);
  });
});

describe('xcapDiffSubscribeBody (RFC 5875 §4.4)', () => {
  it('lists the watched documents relative to the XCAP root', () => {
    const tree = parseXml(
      xcapDiffSubscribeBody(
        watchedDocumentUris('alice@example.com', [
          { auid: 'resource-lists', filename: 'index' },
          { auid: 'org.openmobilealliance.pres-content', filename: 'oma_status-icon/index' },
        ]),
      ),
    );
    expect(tree.ns).toBe(NS.resourceLists);
    const list = children(tree, NS.resourceLists, 'list')[0]!;
    expect(children(list, NS.resourceLists, 'entry').map((e) => attr(e, 'uri'))).toEqual([
      'resource-lists/users/sip:alice@example.com/index',
      'org.openmobilealliance.pres-content/users/sip:alice@example.com/oma_status-icon/index',
    ]);
  });

  it('encodes a slash in the XUI (RFC 4825 §6)', () => {
    expect(watchedDocumentUris('sip:a/b@example.com', [{ auid: 'x', filename: 'index' }])).toEqual([
      'x/users/sip:a%2Fb@example.com/index',
    ]);
    expect(xcapDiffSubscribeBody(['a&b'])).toContain('uri="a&amp;b"');
  });
});

describe('normalizeXui keeps sip:, sips: and tel: XUIs (a tel: XUI became sip:tel:…)', () => {
  it.each([
    ['alice@example.com', 'sip:alice@example.com'],
    ['  alice@example.com ', 'sip:alice@example.com'],
    ['sip:alice@example.com', 'sip:alice@example.com'],
    ['SIP:alice@example.com', 'SIP:alice@example.com'],
    ['sips:alice@example.com', 'sips:alice@example.com'],
    ['tel:+15551234567', 'tel:+15551234567'],
    ['TEL:+1-555-123', 'TEL:+1-555-123'],
  ])('%j -> %j', (xui, expected) => {
    expect(normalizeXui(xui)).toBe(expected);
  });

  it('watches a tel: XUI under its own name', () => {
    expect(watchedDocumentUris('tel:5551234567', [{ auid: 'x', filename: 'index' }])).toEqual([
      'x/users/tel:5551234567/index',
    ]);
  });
});
