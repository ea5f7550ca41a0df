import { describe, expect, it } from 'vitest';
import { DOCUMENT_NAMES } from '../../src/codecs/applications.js';
import { parseXml } from '../../src/codecs/xml/parse.js';
import { serializeXml } from '../../src/codecs/xml/serialize.js';
import { attr, child, children, NS, textOf, type XmlElement } from '../../src/codecs/xml/tree.js';
import {
  applyOperation,
  type Documents,
  extractData,
  operations,
} from '../../src/journal/index.js';
import { ctx, fixtureDocs } from './fixture-helpers.js';
import { expectAcceptedBySipsimple } from './sipsimple-rules.js';

const RL = NS.resourceLists;
const CP = NS.commonPolicy;

function reparse(docs: Documents): Documents {
  const out: Documents = {};
  for (const n of DOCUMENT_NAMES) {
    const d = docs[n];
    out[n] = d ? parseXml(serializeXml(d)) : (d ?? null);
  }
  return out;
}

const ruleIds = (doc: XmlElement) => children(doc, CP, 'rule').map((r) => attr(r, 'id'));
const subHandling = (doc: XmlElement, id: string, ns: string) => {
  const rule = children(doc, CP, 'rule').find((r) => attr(r, 'id') === id)!;
  return textOf(child(child(rule, CP, 'actions')!, ns, 'sub-handling')!);
};

describe('normalize on empty documents', () => {
  const { docs, outcome } = applyOperation({}, operations.normalize(), ctx);

  it('creates the skeleton of the reference layout', () => {
    expect(outcome.changed).toEqual([
      'resource-lists',
      'rls-services',
      'pres-rules',
      'dialog-rules',
    ]);
    const rl = docs['resource-lists']!;
    expect(children(rl, RL, 'list').map((l) => attr(l, 'name'))).toEqual([
      'oma_buddylist',
      'oma_grantedcontacts',
      'oma_blockedcontacts',
      'oma_allcontacts',
      'dialog_grantedcontacts',
      'dialog_blockedcontacts',
      'sipsimple_presence_rls',
      'sipsimple_dialog_rls',
      'sipsimple_addressbook',
    ]);
    expect(ruleIds(docs['pres-rules']!)).toEqual([
      'wp_prs_grantedcontacts',
      'wp_prs_blockedcontacts',
      'wp_prs_unlisted',
      'wp_prs_block_anonymous',
      'wp_prs_allow_own',
    ]);
    expect(subHandling(docs['pres-rules']!, 'wp_prs_unlisted', NS.presRules)).toBe('confirm');
    expect(ruleIds(docs['dialog-rules']!)).toEqual([
      'wp_dlg_grantedcontacts',
      'wp_dlg_blockedcontacts',
      'wp_dlg_unlisted',
      'wp_dlg_block_anonymous',
      'wp_dlg_allow_own',
    ]);
    expect(docs['pres-content']).toBeUndefined();
    expect(docs['pidf-manipulation']).toBeUndefined();
  });

  it('writes XCAP URIs with RFC 4825 encoding (quirk 13) and the XCAP root (quirk 3)', () => {
    const all = children(docs['resource-lists']!, RL, 'list').find(
      (l) => attr(l, 'name') === 'oma_allcontacts',
    )!;
    const anchors = children(all).map((e) => attr(e, 'anchor')!);
    expect(anchors[0]).toBe(
      'http://127.0.0.1:5080/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22oma_buddylist%22%5D',
    );
    for (const a of anchors) expect(a).not.toMatch(/["[\]]/);
    const xml = serializeXml(docs['rls-services']!);
    expect(xml).toContain('uri="sip:alice+presence@example.com"');
    expect(xml).toContain('uri="sip:alice+dialog@example.com"');
    expect(xml).not.toMatch(/\[@name/);
  });

  it('is a fixed point, also through serialize and parse', () => {
    expectAcceptedBySipsimple(docs);
    const again = applyOperation(docs, operations.normalize(), ctx);
    expect(again.outcome.changed).toEqual([]);
    expect(again.docs).toBe(docs);
    const parsed = reparse(docs);
    expect(applyOperation(parsed, operations.normalize(), ctx).outcome.changed).toEqual([]);
  });

  it('extracts an empty addressbook with the default policies confirm/confirm', () => {
    const data = extractData(docs, ctx);
    expect(data.addressbook.contacts).toEqual([]);
    expect(data.presenceRules.defaultPolicy).toBe('confirm');
    expect(data.dialogRules.defaultPolicy).toBe('confirm');
    expect(data.icon).toBeNull();
    expect(data.offlineStatus).toBeNull();
  });

  it('leaves documents of applications the server does not offer alone', () => {
    const small = {
      ...ctx,
      supported: new Set(['resource-lists', 'rls-services', 'pres-rules'] as const),
    };
    const r = applyOperation({}, operations.normalize(), small);
    expect(r.outcome.changed).toEqual(['resource-lists', 'rls-services', 'pres-rules']);
    expect(r.docs['dialog-rules']).toBeUndefined();
    expect(extractData(r.docs, small).dialogRules.defaultPolicy).toBeNull();
    const s = applyOperation(r.docs, operations.setDefaultDialogPolicy('allow'), small);
    expect(s.outcome.skipped).toMatch(/dialog-rules/);
    expect(s.docs).toBe(r.docs);
  });
});

// A resource-lists document another client wrote: default namespace, its own list, foreign
// elements and attributes, an entry after the addressbook items, a foreign grant, `1` as a
// boolean, a contact without <dialog>, and a stale entry for a URI a contact blocks.
const FOREIGN_RL = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:ab="urn:ag-projects:xml:ns:addressbook" xmlns:x="urn:example:other">
  <list name="friends"><display-name>Friends</display-name><entry uri="sip:zed@example.org"/></list>
  <list name="oma_grantedcontacts"><entry uri="sip:other-client-grant@example.org"/><entry uri="sip%3Akim%40example.org"/></list>
  <list name="sipsimple_addressbook">
    <ab:contact id="kim" x:color="blue">
      <ab:name>Kim</ab:name>
      <ab:uris default="k1"><ab:uri id="k1" uri="sip:kim@example.org"/></ab:uris>
      <ab:presence><ab:subscribe>1</ab:subscribe><ab:policy>block</ab:policy></ab:presence>
      <x:note>keep me</x:note>
    </ab:contact>
    <entry uri="sip:misplaced@example.org"/>
  </list>
  <x:extension>foreign top-level element</x:extension>
</resource-lists>`;

const FOREIGN_RULES = `<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <rule id="their_rule"><conditions><identity><one id="sip:boss@example.org"/></identity></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions><transformations><pr:provide-services><pr:all-services/></pr:provide-services></transformations></rule>
  <rule id="wp_prs_allow_own"><conditions><identity><one id="sip:alice@example.com"/></identity></conditions><actions><pr:sub-handling>block</pr:sub-handling><pr:sub-handling>allow</pr:sub-handling></actions><transformations><pr:provide-persons><pr:all-persons/></pr:provide-persons></transformations></rule>
</ruleset>`;

const FOREIGN_RLS = `<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"><service uri="sip:alice+friends@example.com"><resource-list>http://x/list</resource-list><packages><package>presence</package></packages></service></rls-services>`;

describe('normalize on foreign layouts keeps what it does not own', () => {
  const before: Documents = {
    'resource-lists': parseXml(FOREIGN_RL),
    'pres-rules': parseXml(FOREIGN_RULES),
    'rls-services': parseXml(FOREIGN_RLS),
  };
  const { docs } = applyOperation(before, operations.normalize(), ctx);
  const xml = serializeXml(docs['resource-lists']!);

  it('keeps foreign lists, elements, attributes and unreferenced grants', () => {
    expect(xml).toContain(
      '<list name="friends"><display-name>Friends</display-name><entry uri="sip:zed@example.org"/></list>',
    );
    expect(xml).toContain('x:color="blue"');
    expect(xml).toContain('<x:note>keep me</x:note>');
    expect(xml).toContain('<x:extension>foreign top-level element</x:extension>');
    expect(xml).toContain('<entry uri="sip:other-client-grant@example.org"/>');
  });

  it('fixes what the reference implementation would reject and derives the lists', () => {
    // `1` becomes `true`, the missing <dialog> is written, the bags are written.
    const data = extractData(docs, ctx);
    expect(data.addressbook.contacts[0]!.presence.toJSON()).toEqual({
      policy: 'block',
      subscribe: true,
    });
    expect(xml).toContain('<ab:subscribe>true</ab:subscribe>');
    expect(xml).toMatch(
      /<ab:dialog><ab:policy>default<\/ab:policy><ab:subscribe>false<\/ab:subscribe><\/ab:dialog>/,
    );
    // Kim is blocked: her stale grant goes, she is in the blocked list and the RLS list.
    const lists = Object.fromEntries(
      children(docs['resource-lists']!, RL, 'list').map((l) => [
        attr(l, 'name'),
        children(l, RL, 'entry').map((e) => attr(e, 'uri')),
      ]),
    );
    expect(lists.oma_grantedcontacts).toEqual(['sip:other-client-grant@example.org']);
    expect(lists.oma_blockedcontacts).toEqual(['sip:kim@example.org']);
    expect(lists.sipsimple_presence_rls).toEqual(['sip:kim@example.org']);
    // The misplaced rl:entry now comes before the addressbook items (quirk 13).
    const book = children(docs['resource-lists']!, RL, 'list').find(
      (l) => attr(l, 'name') === 'sipsimple_addressbook',
    )!;
    expect(children(book).map((e) => e.name)).toEqual(['entry', 'contact']);
  });

  it('keeps foreign rules and transformations, fixes its own rules', () => {
    const pr = docs['pres-rules']!;
    expect(ruleIds(pr)).toEqual([
      'their_rule',
      'wp_prs_allow_own',
      'wp_prs_grantedcontacts',
      'wp_prs_blockedcontacts',
      'wp_prs_unlisted',
      'wp_prs_block_anonymous',
    ]);
    const prXml = serializeXml(pr);
    expect(prXml).toContain('<pr:provide-services><pr:all-services/></pr:provide-services>');
    expect(prXml).toContain('<pr:provide-persons><pr:all-persons/></pr:provide-persons>');
    // Two sub-handlings: the most permissive (allow) is kept (RFC 5025 §3.2.1).
    const own = children(pr, CP, 'rule').find((r) => attr(r, 'id') === 'wp_prs_allow_own')!;
    expect(children(child(own, CP, 'actions')!).map(textOf)).toEqual(['allow']);
  });

  it('keeps foreign RLS services', () => {
    const uris = children(docs['rls-services']!).map((s) => attr(s, 'uri'));
    expect(uris).toEqual([
      'sip:alice+friends@example.com',
      'sip:alice+presence@example.com',
      'sip:alice+dialog@example.com',
    ]);
  });

  it('is then acceptable to the reference implementation', () => {
    expectAcceptedBySipsimple(docs);
    expectAcceptedBySipsimple(fixtureDocs());
  });

  it('is then a fixed point, also after a serialize/parse round trip', () => {
    expect(applyOperation(docs, operations.normalize(), ctx).outcome.changed).toEqual([]);
    expect(applyOperation(reparse(docs), operations.normalize(), ctx).outcome.changed).toEqual([]);
  });
});
